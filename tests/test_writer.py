"""Fixed files are written back atomically, in their own encoding, or not at all."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import tempfile

from retrylint.sources import read_source
from retrylint.fixing.writer import remove_stale_temporary_files, write_atomically


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


def test_an_edit_made_while_the_fix_is_written_is_kept(tmp_path, monkeypatch, capsys):
    """The file is compared again after the temporary file is written, right before the
    replace: an append landing while the temporary file is written is not overwritten."""
    path = tmp_path / "m.py"
    path.write_text("x = 1\n")
    source = read_source(path)
    real_mkstemp = tempfile.mkstemp

    def mkstemp_then_append(*args, **kwargs):
        made = real_mkstemp(*args, **kwargs)
        with open(path, "a") as other_editor:
            other_editor.write("y = 2\n")
        return made

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp_then_append)
    assert not write_atomically(source, "x = 3\n")
    assert path.read_text() == "x = 1\ny = 2\n"
    assert capsys.readouterr().err == (
        f"retrylint: warning: not writing fixes to {path}: it changed on disk since it was read\n"
    )
    assert os.listdir(tmp_path) == ["m.py"]


def test_an_identical_rewrite_during_the_fix_is_noticed_by_its_stat(tmp_path, monkeypatch):
    """Same bytes, another file (a checkout writing the same text): the stat identity differs."""
    path = tmp_path / "m.py"
    path.write_text("x = 1\n")
    source = read_source(path)
    real_mkstemp = tempfile.mkstemp

    def mkstemp_then_recreate(*args, **kwargs):
        made = real_mkstemp(*args, **kwargs)
        path.unlink()
        path.write_text("x = 1\n")
        return made

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp_then_recreate)
    assert not write_atomically(source, "x = 3\n")
    assert path.read_text() == "x = 1\n"


def test_the_temporary_file_is_synced_before_it_replaces_the_file(tmp_path, monkeypatch):
    path = tmp_path / "m.py"
    path.write_text("x = 1\n")
    source = read_source(path)
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
                        or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: events.append(("replace", str(a))) or real_replace(a, b))
    assert write_atomically(source, "x = 2\n")
    [(_, temp)] = [event for event in events if event[0] == "replace"]
    assert ("fsync", temp) in events[:events.index(("replace", temp))]
    assert re.fullmatch(r"\.m\.py\.retrylint-\d+-\w+\.tmp", os.path.basename(temp))


def test_temporary_files_of_dead_runs_are_removed_and_live_ones_kept(tmp_path):
    process = subprocess.Popen(["true"])
    process.wait()
    stale = tmp_path / f".m.py.retrylint-{process.pid}-abc123.tmp"
    live = tmp_path / f".m.py.retrylint-{os.getpid()}-def456.tmp"
    other = tmp_path / ".m.py.other-1-abc.tmp"
    for file in (stale, live, other):
        file.write_text("x = 2\n")
    remove_stale_temporary_files(tmp_path)
    assert sorted(os.listdir(tmp_path)) == sorted([live.name, other.name])


def test_keeps_owner_group_setgid_bit_and_extended_attributes(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("x = 1\n")
    os.chown(path, 1234, 5678)
    path.chmod(0o2664)
    os.setxattr(path, "user.origin", b"kept")
    assert write_atomically(read_source(path), "x = 2\n")
    status = path.stat()
    assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (1234, 5678, 0o2664)
    assert os.getxattr(path, "user.origin") == b"kept"
    assert path.read_text() == "x = 2\n"


def test_a_file_whose_owner_cannot_be_kept_is_written_in_place(tmp_path, monkeypatch):
    """Not root: a file of another user in a group-writable folder keeps its owner."""
    path = tmp_path / "m.py"
    path.write_text("x = 1\n")
    inode = path.stat().st_ino

    def not_allowed(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "chown", not_allowed)
    assert write_atomically(read_source(path), "x = 22\n")
    assert path.read_text() == "x = 22\n" and path.stat().st_ino == inode
    assert os.listdir(tmp_path) == ["m.py"]


def test_keeps_hard_links_whole(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("x = 1\n# a longer text than the fix leaves\n")
    other = tmp_path / "other_name.py"
    os.link(path, other)
    assert write_atomically(read_source(path), "x = 2\n")
    assert path.read_text() == other.read_text() == "x = 2\n"
    assert path.stat().st_ino == other.stat().st_ino and path.stat().st_nlink == 2
    assert sorted(os.listdir(tmp_path)) == ["m.py", "other_name.py"]


def test_refuses_a_read_only_file(tmp_path, capsys):
    """As editors do: the mode says read-only, even to root, who could open it for writing."""
    path = tmp_path / "m.py"
    path.write_text("x = 1\n")
    path.chmod(0o444)
    assert not write_atomically(read_source(path), "x = 2\n")
    assert path.read_text() == "x = 1\n" and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert capsys.readouterr().err == (
        f"retrylint: warning: not writing fixes to {path}: it is read-only (mode 0444)\n"
    )


def test_refuses_a_symlink_to_a_file_outside_the_checked_paths(tmp_path, capsys):
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    tree.mkdir()
    outside.mkdir()
    (outside / "t.py").write_text("x = 1\n")
    link = tree / "l.py"
    link.symlink_to("../outside/t.py")
    assert not write_atomically(read_source(link), "x = 2\n", inside=[tree])
    assert (outside / "t.py").read_text() == "x = 1\n" and link.is_symlink()
    assert capsys.readouterr().err == (
        f"retrylint: warning: not writing fixes to {link}: it is a symlink to {outside / 't.py'},"
        " which is outside the checked paths\n"
    )
    assert not write_atomically(read_source(link), "x = 2\n", inside=[link])  # named itself: still outside


def test_fixes_a_symlink_to_a_file_inside_the_checked_paths(tmp_path):
    tree = tmp_path / "tree"
    (tree / "real").mkdir(parents=True)
    (tree / "real" / "t.py").write_text("x = 1\n")
    link = tree / "l.py"
    link.symlink_to("real/t.py")
    assert write_atomically(read_source(link), "x = 2\n", inside=[tree])
    assert (tree / "real" / "t.py").read_text() == "x = 2\n" and link.is_symlink()
    assert write_atomically(read_source(link), "x = 3\n", inside=[link, tree / "real" / "t.py"])
    assert (tree / "real" / "t.py").read_text() == "x = 3\n"


def test_refuses_a_codec_that_does_not_give_the_same_bytes_back(tmp_path, capsys):
    """unicode_escape reads a newline byte as a newline but writes it as a backslash and n:
    the fixed file would be one line."""
    path = tmp_path / "m.py"
    original = b"# -*- coding: unicode_escape -*-\nx = 1\ny = 2\n"
    path.write_bytes(original)
    source = read_source(path)
    assert not write_atomically(source, source.text.replace("1", "3"))
    assert path.read_bytes() == original
    assert capsys.readouterr().err == (
        f"retrylint: warning: not writing fixes to {path}: its encoding (unicode_escape) does not"
        " write back the bytes it read\n"
    )
