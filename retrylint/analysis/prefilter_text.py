"""A file's text as the prefilter reads it: where its triple-quoted strings are (a layer's shape
in a docstring's example is no layer), where a line starts, what a name's character is."""

from __future__ import annotations

import bisect
import re

TRIPLE_QUOTE = re.compile("\"\"\"|'''")


class Code:
    """A file's text, and where its triple-quoted strings are (found on first need): a layer's
    shape in a docstring's example is no layer."""

    def __init__(self, text: str):
        self.text = text
        self._strings: tuple[list[int], list[int]] | None = None

    def finds(self, pattern: re.Pattern, *, after_word: bool = False, line_start: bool = False) -> bool:
        """``pattern`` found outside triple-quoted strings; with ``after_word``, not right after
        a name's character either (``retry(`` is not in ``myretry(``); with ``line_start``, only
        after indentation (where a decorator or a statement starts)."""
        text = self.text
        for match in pattern.finditer(text):
            start = match.start()
            if after_word and start and is_word_char(text[start - 1]):
                continue
            if line_start and text[start_of_line(text, start): start].strip(" \t\f"):
                continue
            if not self.in_string(start):
                return True
        return False

    def in_string(self, position: int) -> bool:
        if self._strings is None:
            self._strings = triple_quoted(self.text)
        starts, ends = self._strings
        index = bisect.bisect_right(starts, position) - 1
        return index >= 0 and position < ends[index]


def triple_quoted(text: str) -> tuple[list[int], list[int]]:
    """Where triple-quoted strings start and end (escapes and quotes in other strings are not
    told apart: the test only has to be right about ordinary code)."""
    starts: list[int] = []
    ends: list[int] = []
    opening = TRIPLE_QUOTE.search(text)
    while opening is not None:
        closing = text.find(opening.group(), opening.end())
        end = len(text) if closing == -1 else closing + 3
        starts.append(opening.start())
        ends.append(end)
        opening = TRIPLE_QUOTE.search(text, end)
    return starts, ends


def start_of_line(text: str, position: int) -> int:
    return max(text.rfind("\n", 0, position), text.rfind("\r", 0, position)) + 1


def is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"
