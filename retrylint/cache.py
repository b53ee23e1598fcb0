"""A content-hash cache of each file's findings, so that a run over an unchanged project
costs little more than reading and hashing its files.

The cache folder holds one index per engine fingerprint (catalog and settings). An index maps
each checked file to an entry: the digest of its bytes, the working folder (which decides how
its path is shown), its findings and the digests of the other project files they depend on.
An index is loaded once per run and, if the run made new entries, rewritten atomically, merged
with what is on disk then (entries of files that no longer exist are dropped), so concurrent
runs leave a valid cache. An index that cannot be read or that another format or version of
retrylint wrote is ignored and rebuilt; an entry that does not match is a miss."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from retrylint import __version__
from retrylint.catalog import catalog_files
from retrylint.diagnostics import Diagnostic
from retrylint.settings import Settings
from retrylint.fixing.writer import replace_file

DEFAULT_CACHE_DIR = Path(".retrylint_cache")
FORMAT = 2


def settings_fingerprint(settings: Settings) -> str:
    """What, besides a file's text, its findings depend on: the catalog files and the settings."""
    parts = [path.read_bytes() for path in catalog_files(settings.extend_catalog)]
    return digest(*parts, repr(settings))


def digest(*parts: str | bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()


@dataclass
class Hit:
    """A file's cached findings; ``dependencies`` maps the files they depend on to their digests."""

    diagnostics: list[Diagnostic]
    dependencies: dict[str, str | None]


class ResultCache:
    """The cache in ``folder`` as one run sees it: each file is hashed at most once."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.cwd = os.getcwd()
        self._indexes: dict[str, dict] = {}  # fingerprint -> file -> entry, as loaded
        self._new: dict[str, dict] = {}  # fingerprint -> file -> entry, made by this run
        self._digests: dict[str, str | None] = {}  # file -> digest of its bytes (None: unreadable)

    def lookup(self, fingerprint: str, path: Path, raw: bytes) -> Hit | None:
        """The entry of ``path`` if made from the bytes ``raw``; its dependencies are left to
        ``is_current``, best called once every file of the run has been looked up."""
        file = os.path.join(self.cwd, path)
        self._digests[file] = digest(raw)
        entry = self._index(fingerprint).get(file)
        try:
            if (entry["digest"], entry["cwd"]) != (self._digests[file], self.cwd) \
                    or not isinstance(entry["dependencies"], dict):
                return None
            return Hit([Diagnostic.from_json(item) for item in entry["diagnostics"]], entry["dependencies"])
        except (KeyError, TypeError, ValueError, AttributeError):  # no entry, or a malformed one
            return None

    def is_current(self, hit: Hit) -> bool:
        """Whether the files the findings depend on still hold what they did."""
        return all(self._digest(file) == expected for file, expected in hit.dependencies.items())

    def put(self, fingerprint: str, path: Path, content_digest: str, diagnostics: list[Diagnostic],
            dependencies: set[Path]) -> None:
        """Record the findings of ``path`` when its bytes had ``content_digest``."""
        self._new.setdefault(fingerprint, {})[os.path.join(self.cwd, path)] = {
            "digest": content_digest,
            "cwd": self.cwd,
            "dependencies": {str(file): self._digest(str(file)) for file in sorted(dependencies)},
            "diagnostics": [diagnostic.to_json() for diagnostic in diagnostics],
        }

    def save(self) -> None:
        """Write the indexes this run added to, merged with what is on disk now."""
        for fingerprint, new in self._new.items():
            entries = self._load(fingerprint) or self._index(fingerprint)
            entries.update(new)
            kept = {file: entry for file, entry in entries.items()
                    if self._digests.get(file) is not None or os.path.exists(file)}
            data = {"format": FORMAT, "version": __version__, "fingerprint": fingerprint, "entries": kept}
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                _tag_folder(self.folder)
                replace_file(self._path(fingerprint), json.dumps(data, separators=(",", ":")).encode("utf-8"))
            except OSError:
                pass  # a cache that cannot be written only costs speed

    def _digest(self, file: str) -> str | None:
        if file not in self._digests:
            try:
                with open(file, "rb") as handle:
                    self._digests[file] = digest(handle.read())
            except OSError:
                self._digests[file] = None
        return self._digests[file]

    def _index(self, fingerprint: str) -> dict:
        if fingerprint not in self._indexes:
            self._indexes[fingerprint] = self._load(fingerprint)
        return self._indexes[fingerprint]

    def _load(self, fingerprint: str) -> dict:
        """The entries on disk; none when the index is missing, unreadable or foreign."""
        try:
            data = json.loads(self._path(fingerprint).read_bytes())
            if (data["format"], data["version"], data["fingerprint"]) == (FORMAT, __version__, fingerprint) \
                    and isinstance(data["entries"], dict):
                return data["entries"]
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            pass
        return {}

    def _path(self, fingerprint: str) -> Path:
        return self.folder / f"{fingerprint}.json"


def _tag_folder(folder: Path) -> None:
    """Keep the cache out of version control and backups, as other tools' caches do."""
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
