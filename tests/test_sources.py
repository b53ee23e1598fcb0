"""Decoding sources like Python does, and one-line reasons when that is impossible."""

from __future__ import annotations

import os
import sys

import pytest

from retrylint.sources import SourceError, read_source


@pytest.mark.parametrize(("raw", "text", "encoding"), [
    (b"x = 1\r\ny = 2\r\n", "x = 1\r\ny = 2\r\n", "utf-8"),
    (b"\xef\xbb\xbfx = '\xc3\xa9'\n", "x = 'é'\n", "utf-8-sig"),
    (b"# -*- coding: latin-1 -*-\nx = '\xe9'\r", "# -*- coding: latin-1 -*-\nx = 'é'\r", "iso-8859-1"),
])
def test_decodes_and_keeps_newlines(tmp_path, raw, text, encoding):
    path = tmp_path / "m.py"
    path.write_bytes(raw)
    source = read_source(path)
    assert (source.text, source.encoding, source.raw) == (text, encoding, raw)


@pytest.mark.parametrize(("raw", "reason", "line"), [
    (b"x = 1\n\xff\n", "cannot decode as utf-8 at byte 6 (line 2)", 2),
    (b"#!/usr/bin/env python\n# coding: klingon\n", "unknown encoding: klingon (in the coding cookie)", 2),
    (b"\xef\xbb\xbf# coding: latin-1\n", "file starts with a UTF-8 BOM but its coding cookie names another encoding", 1),
    (b"x = 1\ny = 2\x00\n", "source contains null bytes", 2),
])
def test_undecodable_sources(tmp_path, raw, reason, line):
    path = tmp_path / "m.py"
    path.write_bytes(raw)
    with pytest.raises(SourceError) as error:
        read_source(path)
    assert (error.value.reason, error.value.line) == (reason, line)


def test_vanished_file(tmp_path):
    with pytest.raises(SourceError, match="^file vanished before it could be read$"):
        read_source(tmp_path / "gone.py")


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions, not root")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.py"
    path.write_text("x = 1\n")
    path.chmod(0)
    with pytest.raises(SourceError, match="^permission denied$"):
        read_source(path)
