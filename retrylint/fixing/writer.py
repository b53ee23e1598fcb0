"""Writing fixed sources back: same encoding and BOM, same mode, all or nothing."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from retrylint.sources import Source


def write_atomically(source: Source, new_text: str) -> bool:
    """Replace ``source.path`` with ``new_text`` unless the file changed since it was read.

    Returns False (after a warning on stderr) when the file was left alone."""
    target = Path(os.path.realpath(source.path))  # write through a symlink, keep the link
    try:
        data = new_text.encode(source.encoding)
    except UnicodeEncodeError as error:
        return _refuse(source.path, f"the fixed text cannot be encoded as {source.encoding} ({error.reason})")
    try:
        if target.read_bytes() != source.raw:
            return _refuse(source.path, "it changed on disk since it was read")
        replace_file(target, data, target.stat().st_mode & 0o7777)
    except OSError as error:
        return _refuse(source.path, error.strerror or str(error))
    return True


def replace_file(target: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` beside ``target`` and move it over it: readers see the old file or the
    new one, never a part. Raises OSError; leaves no temporary file behind."""
    descriptor, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as temp:
            temp.write(data)
        if mode is not None:
            os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _refuse(path: Path, reason: str) -> bool:
    print(f"retrylint: warning: not writing fixes to {path}: {reason}", file=sys.stderr)
    return False
