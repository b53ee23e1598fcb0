"""Fixed files are written back atomically, in their own encoding, or not at all."""

from __future__ import annotations

import os

from retrylint.sources import read_source
from retrylint.fixing.writer import write_atomically


def test_keeps_bom_crlf_and_mode(tmp_path):
    path = tmp_path / "m.py"
    path.write_bytes(b"\xef\xbb\xbfx = 1\r\n")
    path.chmod(0o640)
    source = read_source(path)
    assert write_atomically(source, source.text.replace("1", "'\u00e9'"))
    assert path.read_bytes() == b"\xef\xbb\xbfx = '\xc3\xa9'\r\n"
    assert path.stat().st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["m.py"]


def test_keeps_cookie_encoding(tmp_path):
    path = tmp_path / "m.py"
    path.write_bytes(b"# coding: latin-1\nx = '\xe9'\n")
    source = read_source(path)
    assert write_atomically(source, source.text + "y = 2\n")
    assert path.read_bytes() == b"# coding: latin-1\nx = '\xe9'\ny = 2\n"


def test_refuses_when_file_changed_since_read(tmp_path, capsys):
    path = tmp_path / "m.py"
    path.write_text("x = 1\n")
    source = read_source(path)
    path.write_text("x = 2\n")
    assert not write_atomically(source, "x = 3\n")
    assert path.read_text() == "x = 2\n"
    assert capsys.readouterr().err == (
        f"retrylint: warning: not writing fixes to {path}: it changed on disk since it was read\n"
    )


def test_refuses_text_the_encoding_cannot_hold(tmp_path, capsys):
    path = tmp_path / "m.py"
    path.write_bytes(b"# coding: latin-1\nx = 1\n")
    source = read_source(path)
    assert not write_atomically(source, source.text + "y = '\u20ac'\n")
    assert path.read_bytes() == b"# coding: latin-1\nx = 1\n"
    assert "cannot be encoded as iso-8859-1" in capsys.readouterr().err


def test_writes_through_a_symlink(tmp_path):
    target = tmp_path / "real.py"
    target.write_text("x = 1\n")
    link = tmp_path / "link.py"
    link.symlink_to(target)
    assert write_atomically(read_source(link), "x = 2\n")
    assert link.is_symlink() and target.read_text() == "x = 2\n"
