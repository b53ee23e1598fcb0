"""retrylint: a static linter for retry safety in Python."""

__version__ = "0.1.0"
