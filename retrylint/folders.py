"""The Python files of a folder, and a digest of their state: what findings that searched a
folder depend on (a subclass found there, or none), checked by the cache without reading them."""

from __future__ import annotations

import os
from pathlib import Path

SKIPPED_FOLDERS = {"__pycache__", "node_modules", "site-packages"}
PATTERNS = {False: "*.py", True: os.path.join("**", "*.py")}  # the last part of a folder's key


def python_files(folder: Path, recursive: bool) -> list[Path]:
    """The ``.py`` files directly in ``folder`` (and below it if ``recursive``), in path order."""
    return [Path(file) for file in _python_file_names(folder, recursive)]


def _python_file_names(folder: str | Path, recursive: bool) -> list[str]:
    """``python_files`` as strings: the cache checks folder states on every warm run."""
    if not recursive:
        try:
            with os.scandir(folder) as scan:
                return sorted(entry.path for entry in scan if entry.name.endswith(".py") and is_file_entry(entry))
        except OSError:
            return []
    found: list[str] = []
    for current, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if name not in SKIPPED_FOLDERS and not name.startswith("."))
        found.extend(os.path.join(current, name) for name in sorted(files) if name.endswith(".py"))
    return found


def is_file_entry(entry: os.DirEntry) -> bool:
    """A directory entry for a file (following symlinks); False when that cannot be told."""
    try:
        return entry.is_file()
    except OSError:
        return False


def folder_key(folder: Path, recursive: bool) -> Path:
    """The dependency that stands for the Python files of ``folder``: ``<folder>/**/*.py``."""
    return folder / PATTERNS[recursive]


def folder_state(key: str) -> str | None:
    """For a key made by ``folder_key``: the path, size and modification time of each of its
    files (a file added, removed or changed changes it); None for any other path."""
    for recursive, pattern in sorted(PATTERNS.items(), reverse=True):  # "**/*.py" before "*.py"
        if key.endswith(os.sep + pattern):
            states = []
            for path in _python_file_names(key[: -len(pattern) - 1], recursive):
                try:
                    status = os.stat(path)
                except OSError:
                    continue
                states.append(f"{path}\0{status.st_size}\0{status.st_mtime_ns}")
            return "\n".join(states)
    return None
