"""The rule registry: every rule module, in code order."""

from retrylint.rules.base import Rule

ALL_RULES: list[type[Rule]] = []
