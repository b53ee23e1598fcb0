"""Shared test setup. The helpers live in helpers.py (``from helpers import run, write_tree``);
this folder is on ``sys.path`` so that every test module can import them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import write  # noqa: E402


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with one clean Python file."""
    write(tmp_path, "ok.py", "x = 1\n")
    return tmp_path
