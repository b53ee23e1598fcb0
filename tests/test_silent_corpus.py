"""Well-written retry code must produce no diagnostics at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrylint.engine import Engine
from retrylint.settings import Settings

CORPUS = Path(__file__).parent / "corpus" / "silent"
FILES = sorted(CORPUS.glob("*.py"))


def test_corpus_is_not_empty():
    assert len(FILES) >= 8
    assert sum(len(path.read_text().splitlines()) for path in FILES) >= 150


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_silent_file_has_no_diagnostics(path):
    source = path.read_text()
    compile(source, str(path), "exec")  # the corpus itself must be valid Python
    diagnostics = Engine(Settings()).lint_source(source, path.name)
    assert [(d.code, d.line, d.message) for d in diagnostics] == []
