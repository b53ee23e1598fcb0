"""Writing fixed sources back: same bytes for what did not change (encoding, BOM, newlines),
same owner, group, mode, extended attributes and hard links, all or nothing, and never over
an edit made since the file was read."""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from retrylint.sources import Source

TEMPORARY_NAME = re.compile(r"\..+\.retrylint-(?P<pid>[0-9]+)-\w+\.tmp", re.DOTALL)


class Refused(Exception):
    """Why a file is left alone (one line)."""


def write_atomically(source: Source, new_text: str, inside: Sequence[Path] | None = None) -> bool:
    """Replace the file of ``source`` with ``new_text`` unless it changed since it was read.
    With ``inside`` (the checked paths), a symlink is written through only when its target
    lies inside them.

    Returns False (after a warning on stderr) when the file was left alone."""
    target = Path(os.path.realpath(source.path))  # write through a symlink, keep the link
    try:
        if inside is not None and not _is_inside(target, inside):
            raise Refused(f"it is a symlink to {target}, which is outside the checked paths")
        data = _encoded(source, new_text)
        status = os.stat(target)
        if not status.st_mode & 0o222 or not os.access(target, os.W_OK):
            raise Refused(f"it is read-only (mode {stat.S_IMODE(status.st_mode):04o})")
        if status.st_nlink > 1 or not _replace_keeping_metadata(target, source.raw, data, status):
            _write_in_place(target, source.raw, data, status)
    except Refused as reason:
        return _warn(source.path, str(reason))
    except OSError as error:
        return _warn(source.path, error.strerror or str(error))
    return True


def _warn(path: Path, reason: str) -> bool:
    from retrylint.output.terminal import printable

    print(f"retrylint: warning: not writing fixes to {printable(f'{path}: {reason}')}", file=sys.stderr)
    return False


def _is_inside(target: Path, paths: Sequence[Path]) -> bool:
    """Whether ``target`` (a real path) is one of the checked files or under a checked folder;
    a checked file that is a symlink counts as where the link is, not as its target."""
    for path in paths:
        if os.path.isdir(path):
            folder = Path(os.path.realpath(path))
            if target == folder or folder in target.parents:
                return True
        elif target == Path(os.path.realpath(os.path.dirname(os.path.abspath(path)))) / os.path.basename(path):
            return True
    return False


def _encoded(source: Source, new_text: str) -> bytes:
    """``new_text`` in the file's encoding, refused when the encoding does not give back the
    bytes it read (``unicode_escape`` reads a newline byte but writes backslash-n)."""
    try:
        data = new_text.encode(source.encoding)
        round_trips = source.text.encode(source.encoding) == source.raw and data.decode(source.encoding) == new_text
    except UnicodeEncodeError as error:
        raise Refused(f"the fixed text cannot be encoded as {source.encoding} ({error.reason})") from None
    except (UnicodeError, LookupError, TypeError, ValueError):
        round_trips = False
    if not round_trips:
        raise Refused(f"its encoding ({source.encoding}) does not write back the bytes it read")
    return data


def _identity(status: os.stat_result) -> tuple:
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns


def _check_unchanged(current: bytes, current_status: os.stat_result, raw: bytes, status: os.stat_result) -> None:
    if current != raw or _identity(current_status) != _identity(status):
        raise Refused("it changed on disk since it was read")


def _replace_keeping_metadata(target: Path, raw: bytes, data: bytes, status: os.stat_result) -> bool:
    """Write ``data`` to a temporary file beside ``target`` with its owner, group, mode and
    extended attributes, then compare ``target`` with ``raw`` (content and stat) and move the
    temporary file over it. False, having written nothing, when the owner or an extended
    attribute cannot be given to a new file (then only writing in place keeps them)."""
    descriptor, temp_name = _temporary_file(target)
    try:
        with os.fdopen(descriptor, "wb") as temp:
            temp.write(data)
            temp.flush()
            try:
                os.chown(temp.fileno(), status.st_uid, status.st_gid)
                _copy_extended_attributes(target, temp.fileno())
            except PermissionError:
                Path(temp_name).unlink()
                return False
            os.chmod(temp.fileno(), stat.S_IMODE(status.st_mode))  # after chown, which clears setuid
            os.fsync(temp.fileno())
        with open(target, "rb") as current:
            _check_unchanged(current.read(), os.fstat(current.fileno()), raw, status)
            os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)
    return True


def _write_in_place(target: Path, raw: bytes, data: bytes, status: os.stat_result) -> None:
    """Overwrite ``target`` through its own inode (its other hard links see the fix, its owner
    is kept), after comparing it with ``raw`` on the open file. Not atomic: a crash during the
    write can leave the file partly written."""
    descriptor = os.open(target, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(descriptor, "r+b") as file:
        _check_unchanged(file.read(), os.fstat(descriptor), raw, status)
        file.seek(0)
        file.write(data)
        file.truncate()
        file.flush()
        os.fsync(descriptor)


def _copy_extended_attributes(source: Path, descriptor: int) -> None:
    if not hasattr(os, "listxattr"):
        return
    try:
        names = os.listxattr(source)
    except OSError as error:
        if error.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return
        raise
    for name in names:
        try:
            os.setxattr(descriptor, name, os.getxattr(source, name))
        except OSError as error:
            raise PermissionError(error.errno, error.strerror) from None


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: not every platform can open a folder)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _temporary_file(target: Path) -> tuple[int, str]:
    """A new file beside ``target`` whose name says it is retrylint's and which process made it."""
    return tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.retrylint-{os.getpid()}-", suffix=".tmp")


def replace_file(target: Path, data: bytes) -> None:
    """Write ``data`` beside ``target`` and move it over it: readers see the old file or the
    new one, never a part. Raises OSError; leaves no temporary file behind."""
    descriptor, temp_name = _temporary_file(target)
    try:
        with os.fdopen(descriptor, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def remove_stale_temporary_files(folder: Path) -> None:
    """Remove the temporary files that a retrylint process which no longer runs left in ``folder``
    (killed between writing one and moving it into place)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = TEMPORARY_NAME.fullmatch(entry.name)
        if match is not None and not _process_runs(int(match["pid"])):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _process_runs(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except PermissionError:  # another user's process
        return True
    except (OSError, OverflowError):  # no such process
        return False
    return pid > 0
