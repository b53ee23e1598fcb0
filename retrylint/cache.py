"""A content-hash cache of each file's findings, so that a run over an unchanged project
costs little more than reading and hashing its files.

An entry is keyed by the file's path and text, retrylint's version, the catalog and the
settings; it also records the other project files the findings depend on (their content
hashes are checked on every hit). Entries are written atomically, one file each, so two runs
can share a cache; an entry that cannot be read or does not match is ignored and rebuilt."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from retrylint import __version__
from retrylint.diagnostics import Diagnostic

DEFAULT_CACHE_DIR = Path(".retrylint_cache")
FORMAT = 1


def digest(*parts: str | bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()


class ResultCache:
    def __init__(self, folder: Path):
        self.folder = folder

    def key(self, fingerprint: str, path: str, text: str) -> str:
        return digest(__version__, fingerprint, path, text)

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[Diagnostic] | None:
        """The cached findings, or None when absent, unreadable, foreign or out of date."""
        try:
            data = json.loads(self._entry(key).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("key") != key:
                return None
            for dependency, expected in data["dependencies"].items():
                if _file_digest(Path(dependency)) != expected:
                    return None
            return [Diagnostic.from_json(item) for item in data["diagnostics"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(self, key: str, diagnostics: list[Diagnostic], dependencies: set[Path]) -> None:
        entry = self._entry(key)
        data = {
            "format": FORMAT,
            "key": key,
            "dependencies": {str(path): _file_digest(path) for path in sorted(dependencies)},
            "diagnostics": [diagnostic.to_json() for diagnostic in diagnostics],
        }
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            _tag_folder(self.folder)
            handle, temporary = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(data, file)
            os.replace(temporary, entry)
        except OSError:
            pass  # a cache that cannot be written only costs speed


def _file_digest(path: Path) -> str | None:
    try:
        return digest(path.read_bytes())
    except OSError:
        return None


def _tag_folder(folder: Path) -> None:
    """Keep the cache out of version control and backups, as other tools' caches do."""
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
