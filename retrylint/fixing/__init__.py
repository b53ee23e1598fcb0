"""Changing code: fix edits and the atomic writer."""
