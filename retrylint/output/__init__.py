"""Showing findings: the terminal, CI formats, and the blast-radius report."""
