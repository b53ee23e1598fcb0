"""Turning the paths given on the command line into the Python files to check."""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Callable

from retrylint.folders import is_file_entry
from retrylint.settings import CONFIG_FILES, Settings

SettingsFor = Callable[[Path], Settings]


@dataclass
class Discovery:
    """Files to check (sorted by display path, each with its settings) and paths that were not."""

    files: list[tuple[Path, Settings]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def discover(paths: list[Path], settings_for: SettingsFor, *, force_exclude: bool = False) -> Discovery:
    """Expand folders to their ``*.py`` files, skipping excluded names. A path named on the
    command line counts even when excluded, unless ``force_exclude`` (ruff's ``--force-exclude``,
    for pre-commit, which names every changed file). A file reached through a folder symlink
    and through its real folder is checked once, under the real path. (A file symlink is a
    file of its own.)"""
    found: dict[str, tuple[Path, Settings, str]] = {}  # real path -> (file, settings, absolute path)
    discovery = Discovery()
    folders: dict[str, tuple[str, str]] = {}  # folder as given -> (absolute, real): found once per folder

    def add(file: Path, settings: Settings) -> None:
        folder, name = os.path.split(os.fspath(file))
        if folder not in folders:
            absolute_folder = os.path.abspath(folder)
            folders[folder] = (absolute_folder, os.path.realpath(absolute_folder))
        absolute, real = (os.path.join(part, name) for part in folders[folder])
        if real not in found or (absolute == real != found[real][2]):
            found[real] = (file, settings, absolute)

    for path in paths:
        if force_exclude and (path.is_dir() or path.is_file()) and is_excluded_with_parents(path, settings_for):
            continue
        if path.is_dir():
            for file, settings in _walk(path, settings_for):
                add(file, settings)
        elif path.is_file():
            add(path, settings_for(path))
        elif path.exists():
            discovery.errors.append(f"not a file or folder: {path}")
        elif path.is_symlink():
            discovery.errors.append(f"symlink to nothing (broken, or a loop): {path}")
        else:
            discovery.errors.append(f"path does not exist: {path}")
    cwd = os.getcwd()
    discovery.files = [(file, settings) for file, settings, _ in
                       sorted(found.values(), key=lambda item: _shown(item[2], cwd))]
    return discovery


def _walk(top: Path, settings_for: SettingsFor):
    """The ``*.py`` files under ``top`` in os.walk's order, without its recursion (a tree
    1,000 folders deep is fine); folder symlinks are not followed, so no loops. Paths stay
    strings until a file is yielded, and a folder without a config file takes its parent's
    settings: a warm run spends much of its time here."""
    folders: list[tuple[str, Settings | None]] = [(os.fspath(top), None)]
    while folders:
        folder, inherited = folders.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:  # unreadable or gone: skipped, as os.walk does
            continue
        settings = inherited
        if settings is None or any(entry.name in CONFIG_FILES for entry in entries):
            settings = settings_for(Path(folder))
        subfolders = []
        for entry in entries:
            if _is_folder(entry):
                subfolders.append(entry)
            elif entry.name.endswith(".py") and is_file_entry(entry) and not _excluded(entry.name, entry.path, settings):
                yield Path(entry.path), settings
        kept = [entry for entry in subfolders if not _excluded(entry.name, entry.path, settings)]
        folders.extend((entry.path, settings) for entry in reversed(kept) if not entry.is_symlink())


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def is_excluded(path: Path, settings: Settings) -> bool:
    """Whether ``path`` matches an exclude pattern, gitignore-style.

    A pattern without ``/`` matches the name; one with ``/`` matches the path relative to the
    config file's folder (or the working folder without one)."""
    return _excluded(path.name, path, settings)


def _excluded(name: str, path: str | Path, settings: Settings) -> bool:
    """``is_excluded`` for a path whose last part is ``name``."""
    names, anchored = _patterns(settings.exclude + settings.extend_exclude)
    if names is not None and names.match(name):
        return True
    if anchored:
        relative = _relative_to(path, settings.root or Path.cwd())
        return relative is not None and any(_anchored_exclude_matches(relative, pattern) for pattern in anchored)
    return False


def is_excluded_with_parents(path: Path, settings_for: SettingsFor) -> bool:
    """Whether ``path`` or a folder above it, up to its project's root (the config file's
    folder, or the working folder), is excluded."""
    settings = settings_for(path)
    root = Path(os.path.abspath(settings.root or Path.cwd()))
    current = Path(os.path.abspath(path))
    while current != root and root in current.parents:
        if is_excluded(current, settings):
            return True
        current = current.parent
    return current != root and is_excluded(current, settings)


@lru_cache(maxsize=64)
def _patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern | None, tuple[str, ...]]:
    """The name patterns as one regular expression, and the anchored ones (with ``/``)."""
    stripped = [pattern.rstrip("/") for pattern in patterns]
    names = [fnmatch.translate(pattern) for pattern in stripped if "/" not in pattern]
    anchored = tuple(pattern.lstrip("/") for pattern in stripped if "/" in pattern)
    return (re.compile("|".join(names)) if names else None), anchored


def _anchored_exclude_matches(relative: PurePosixPath, pattern: str) -> bool:
    text = str(relative)
    if pattern.startswith("**/"):
        return fnmatch.fnmatchcase(text, pattern) or fnmatch.fnmatchcase(text, pattern[3:])
    return fnmatch.fnmatchcase(text, pattern)


def _relative_to(path: str | Path, root: Path) -> PurePosixPath | None:
    try:
        return PurePosixPath(Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix())
    except ValueError:
        return None


def display_path(path: Path) -> str:
    """``path`` relative to the working folder when under it, else absolute; with ``/``."""
    return _shown(os.path.abspath(path), os.getcwd())


def _shown(absolute: str, cwd: str) -> str:
    """``display_path`` of a normal absolute path."""
    if absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        return _posix(absolute[len(cwd.rstrip(os.sep)) + 1:])
    return "." if absolute == cwd else _posix(absolute)


def _posix(path: str) -> str:
    """A normal path (as ``abspath`` gives) with ``/``, without building a Path on POSIX."""
    return path if os.sep == "/" else Path(path).as_posix()
