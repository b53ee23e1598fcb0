"""The version of a library a project pins, read from what it declares, never from what is
installed: the nearest folder above a module holding a pyproject.toml, uv.lock, poetry.lock,
Pipfile.lock or requirements*.txt, and in it, a lock file's version first, then an exact pin
(``name==1.2.3``). None when nothing pins it: the newest semantics apply then."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from retrylint.sources import SourceError, read_limited

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

DECLARATIONS = ("uv.lock", "poetry.lock", "Pipfile.lock", "pyproject.toml")
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([0-9][0-9A-Za-z.+!-]*)")


def pinned_version(module_path: str, package: str) -> str | None:
    """The version of ``package`` pinned by the project ``module_path`` belongs to."""
    folder = _project_folder(str(Path(module_path).resolve().parent))
    if folder is None:
        return None
    stamp = tuple((path.name, path.stat().st_mtime_ns) for path in pin_files(Path(folder)))  # an edited lock is read again
    return _pins(folder, stamp).get(_normal(package))


def pinned_or_implied(module_path: str, older) -> tuple[str | None, str]:
    """The version of ``older.package`` the project pins, else the one its pin of
    ``older.implied_by`` implies (boto3 1.28.0 requires botocore 1.31.x: the catalog's
    ``minor_offsets``); with how messages name it (``boto3 1.28.0 (botocore 1.31.0)``)."""
    version = pinned_version(module_path, older.package)
    if version is not None or not older.implied_by:
        return version, version or ""
    outer = pinned_version(module_path, older.implied_by)
    release = _release(outer) if outer is not None else ()
    offsets = [(_release(start), int(offset)) for start, _, offset in (rule.partition(":") for rule in older.minor_offsets)]
    offset = next((n for start, n in reversed(offsets) if start <= release), None)
    if len(release) < 2 or offset is None:
        return None, ""
    implied = ".".join(str(n) for n in (release[0], release[1] + offset, *release[2:]))
    return implied, f"{older.implied_by} {outer} ({older.package} {implied})"


def pin_files(folder: Path) -> list[Path]:
    """The files in ``folder`` that can pin a version."""
    named = [folder / name for name in DECLARATIONS if (folder / name).is_file()]
    return named + sorted(folder.glob("requirements*.txt"))


def older_than(version: str, below: str) -> bool:
    """``version`` < ``below``, release numbers compared as integers (``1.15.1`` < ``1.15.3``)."""
    return _release(version) < _release(below)


@lru_cache(maxsize=256)
def _project_folder(start: str) -> str | None:
    folder = Path(start)
    for candidate in (folder, *folder.parents):
        if any((candidate / name).is_file() for name in DECLARATIONS) or any(candidate.glob("requirements*.txt")):
            return str(candidate)
    return None


@lru_cache(maxsize=64)
def _pins(folder: str, stamp: tuple) -> dict[str, str]:
    root, found = Path(folder), {}
    for name in sorted(root.glob("requirements*.txt")):
        found.update(_pins_in_lines(_read(name).splitlines()))
    pyproject = _toml(root / "pyproject.toml")
    found.update(_pins_in_lines(pyproject.get("project", {}).get("dependencies", [])))
    for name, spec in pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}).items():
        value = spec.get("version") if isinstance(spec, dict) else spec
        if isinstance(value, str) and re.fullmatch(r"=?=?\s*[0-9][0-9A-Za-z.+!-]*", value.strip()):
            found[_normal(name)] = value.strip().lstrip("=").strip()
    for lock in ("uv.lock", "poetry.lock"):
        for package in _toml(root / lock).get("package", []):
            if isinstance(package, dict) and isinstance(package.get("version"), str):
                found[_normal(str(package.get("name", "")))] = package["version"]
    try:
        pipfile = json.loads(_read(root / "Pipfile.lock") or "{}")
    except ValueError:
        pipfile = {}
    for section in ("default", "develop"):
        for name, spec in (pipfile.get(section) or {}).items():
            version = spec.get("version", "") if isinstance(spec, dict) else ""
            if isinstance(version, str) and version.startswith("=="):
                found[_normal(name)] = version[2:]
    return found


def _pins_in_lines(lines) -> dict[str, str]:
    found = {}
    for line in lines:
        match = _PIN.match(line) if isinstance(line, str) else None
        if match:
            found[_normal(match[1])] = match[2]
    return found


def pin_file_bytes(path: Path) -> bytes:
    """The bytes of a file that can pin a version, read within the size limit of every file
    retrylint reads; empty when it is missing, unreadable or larger (then it pins nothing)."""
    try:
        return read_limited(path) if path.is_file() else b""
    except SourceError:
        return b""


def _read(path: Path) -> str:
    return pin_file_bytes(path).decode("utf-8", errors="replace")


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(_read(path))
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return {}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _release(version: str) -> tuple[int, ...]:
    numbers = re.match(r"[0-9]+(?:\.[0-9]+)*", version)
    return tuple(int(part) for part in numbers[0].split(".")) if numbers else ()
