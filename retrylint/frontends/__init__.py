"""Thin shells over the engine: the command line, the flake8 plugin, the language server."""
