"""A content-hash cache of each file's findings, so that a run over an unchanged project
costs little more than reading and hashing its files.

The cache folder holds one index per engine fingerprint (catalog and settings). An index maps
each checked file to an entry: the digest of its bytes, the working folder (which decides how
its path is shown), its findings, the digests of the other project files they depend on and,
when a run counted them, how many fixes ``--fix`` and ``--fix --unsafe-fixes`` would apply.
An index is loaded once per run and, if the run made new entries, rewritten atomically, merged
with what is on disk then (entries of files that no longer exist are dropped), so concurrent
runs leave a valid cache. An index that cannot be read or that another format or build of
retrylint wrote (its version and a digest of its installed code) is ignored and rebuilt; an
entry that does not match, or whose fields have the wrong shape or types, is a miss.

Files are written only into a cache folder that is not a symlink, never through a symlink; the
``.gitignore`` that keeps the cache out of version control is written only into a folder this
run created."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from retrylint import __version__
from retrylint.analysis.pins import pin_file_bytes, pin_files
from retrylint.catalog import catalog_files, read_catalog_text
from retrylint.diagnostics import Diagnostic
from retrylint.discovery import display_path
from retrylint.settings import Settings
from retrylint.fixing.writer import remove_stale_temporary_files, replace_file
from retrylint.folders import folder_state

DEFAULT_CACHE_DIR = Path(".retrylint_cache")
FORMAT = 3  # 3: entries hold "fixes"
MAX_INDEXES = 16  # older index files are removed: the cache stays bounded
INDEX_NAME = re.compile(r"[0-9a-f]{64}\.json")


def settings_fingerprint(settings: Settings) -> str:
    """What, besides a file's text, its findings depend on: the catalog files, the settings, and
    the versions the project pins (its lock files and requirements: analysis/pins.py). Raises
    CatalogError for a catalog file that cannot be read."""
    parts: list[str | bytes] = [read_catalog_text(path) for path in catalog_files(settings.extend_catalog)]
    if settings.root is not None:
        parts += [pin_file_bytes(path) for path in pin_files(settings.root)]
    return digest(*parts, repr(settings))


def package_digest(folder: Path = Path(__file__).parent) -> str:
    """A digest of retrylint's code and catalog as installed in ``folder``: a build changed
    without a version bump (a git or editable install, pre-commit pinned to a commit) gets a
    cache of its own. About 50 small files; the default is computed once per process."""
    if folder == Path(__file__).parent:
        return _installed_digest()
    return _digest_of_files(folder, sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts))


@lru_cache(maxsize=1)
def _installed_digest() -> str:
    folder = Path(__file__).parent
    code = sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)
    return digest(_digest_of_files(folder, code), *(path.read_bytes() for path in catalog_files()))


def _digest_of_files(folder: Path, files: list[Path]) -> str:
    return digest(*(part for path in files for part in (path.relative_to(folder).as_posix(), path.read_bytes())))


def build() -> str:
    """What an index records of the retrylint that wrote it."""
    return f"{__version__}+{package_digest()[:20]}"


def digest(*parts: str | bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()


@dataclass
class Hit:
    """A file's cached findings; ``dependencies`` maps the files they depend on to their digests;
    ``offer``: the fixes on offer (runner._offer), None when not counted or none is on offer."""

    diagnostics: list[Diagnostic]
    dependencies: dict[str, str | None]
    offer: tuple[int, int] | None = None


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
        if not isinstance(entry, dict) or (entry.get("digest"), entry.get("cwd")) != (self._digests[file], self.cwd):
            return None
        dependencies, diagnostics, offer = entry.get("dependencies"), entry.get("diagnostics"), entry.get("fixes")
        if not (_is_dependencies(dependencies) and isinstance(diagnostics, list) and _is_offer(offer)):
            return None  # a malformed entry: lint the file again
        if diagnostics and not all(_is_diagnostic(item, display_path(path)) for item in diagnostics):
            return None
        return Hit([Diagnostic.from_json(item) for item in diagnostics], dependencies, None if offer is None else (offer[0], offer[1]))

    def has_entries(self, fingerprint: str) -> bool:
        """Whether a run with these catalog files and settings (``fingerprint``) saved findings:
        it read the catalog files without error, so they need not be read again to know that."""
        return bool(self._index(fingerprint))

    def is_current(self, hit: Hit) -> bool:
        """Whether the files the findings depend on still hold what they did."""
        return all(self._digest(file) == expected for file, expected in hit.dependencies.items())

    def dependents(self, fingerprints: set[str], files: set[str]) -> list[str]:
        """The files, still there, whose cached findings depend on one of ``files`` (resolved paths)."""
        found = set()
        for fingerprint in fingerprints:
            for file, entry in self._index(fingerprint).items():
                dependencies = entry.get("dependencies") if isinstance(entry, dict) else None
                if isinstance(dependencies, dict) and not files.isdisjoint(dependencies) and os.path.isfile(file):
                    found.add(file)
        return sorted(found)

    def put(self, fingerprint: str, path: Path, content_digest: str, diagnostics: list[Diagnostic],
            dependencies: set[Path], offer: tuple[int, int] | None = None) -> None:
        """Record the findings of ``path`` (and the fixes on offer, if counted) when its bytes
        had ``content_digest``."""
        self._new.setdefault(fingerprint, {})[os.path.join(self.cwd, path)] = {
            "digest": content_digest,
            "cwd": self.cwd,
            "dependencies": {str(file): self._digest(str(file)) for file in sorted(dependencies)},
            "diagnostics": [diagnostic.to_json() for diagnostic in diagnostics],
            "fixes": None if offer is None else list(offer),
        }

    def save(self) -> None:
        """Write the indexes this run added to, merged with what is on disk now."""
        for fingerprint, new in self._new.items():
            entries = self._load(fingerprint) or self._index(fingerprint)
            entries.update(new)
            kept = {file: entry for file, entry in entries.items()
                    if self._digests.get(file) is not None or os.path.exists(file)}
            data = {"format": FORMAT, "version": build(), "fingerprint": fingerprint, "entries": kept}
            try:
                if not self._prepare_folder():
                    return
                replace_file(self._path(fingerprint), json.dumps(data, separators=(",", ":")).encode("utf-8"))
            except OSError:
                pass  # a cache that cannot be written only costs speed
        if self._new:
            _remove_old_indexes(self.folder)

    def _prepare_folder(self) -> bool:
        """Whether the cache may be written: its folder exists (made now, and then tagged)
        and is not a symlink. Raises OSError."""
        if os.path.islink(self.folder):
            return False
        if not self.folder.exists():
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            self.folder.mkdir()
            _tag_folder(self.folder)
        else:
            remove_stale_temporary_files(self.folder)
        return True

    def _digest(self, file: str) -> str | None:
        """The digest of a regular file's bytes, or of a folder's Python files' state for a key
        made by folders.folder_key; None for anything else (missing, a folder, a device or a
        FIFO that an index names, which is never read)."""
        if file not in self._digests:
            state = folder_state(file)
            if state is not None:
                self._digests[file] = digest(state)
                return self._digests[file]
            try:
                with open(os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as handle:
                    regular = stat.S_ISREG(os.fstat(handle.fileno()).st_mode)
                    self._digests[file] = digest(handle.read()) if regular else None
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
            if (data["format"], data["version"], data["fingerprint"]) == (FORMAT, build(), fingerprint) \
                    and isinstance(data["entries"], dict):
                return data["entries"]
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            pass
        return {}

    def _path(self, fingerprint: str) -> Path:
        return self.folder / f"{fingerprint}.json"


def _remove_old_indexes(folder: Path) -> None:
    """Keep the MAX_INDEXES indexes written last (one per catalog and settings in use; an
    upgrade or a settings change leaves the old ones unused); remove the others."""
    try:
        indexes = [entry for entry in os.scandir(folder) if INDEX_NAME.fullmatch(entry.name)
                   and entry.is_file(follow_symlinks=False)]
        indexes.sort(key=lambda entry: entry.stat(follow_symlinks=False).st_mtime_ns, reverse=True)
        for entry in indexes[MAX_INDEXES:]:
            os.unlink(entry.path)
    except OSError:
        pass  # another run removed it first, or the folder went away


def _tag_folder(folder: Path) -> None:
    """Keep a cache folder retrylint made out of version control, as other tools' caches do;
    never through a symlink, never over an existing file."""
    try:
        descriptor = os.open(folder / ".gitignore", os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w", encoding="utf-8") as ignore:
        ignore.write("*\n")


def _is_dependencies(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(file, str) and (expected is None or isinstance(expected, str)) for file, expected in value.items())


def _is_offer(value: object) -> bool:
    """None, or [safe, unsafe]: the fixes --fix and --fix --unsafe-fixes would apply."""
    return value is None or (isinstance(value, list) and len(value) == 2
                             and all(type(count) is int and count >= 0 for count in value))


def _is_diagnostic(item: object, path: str) -> bool:
    """Whether ``item`` is a diagnostic of the file shown as ``path`` as ``Diagnostic.to_json`` writes it."""
    if not (isinstance(item, dict) and _has(item, CODE_FIELDS, _is_text) and _has(item, POSITION_FIELDS, _position)):
        return False
    fix, chain = item.get("fix"), item.get("chain")
    return (item["path"] == path and CODE.fullmatch(item["code"]) is not None
            and (fix is None or _is_fix(fix))
            and isinstance(chain, list) and all(isinstance(link, dict) and _has(link, ("path", "name"), _is_text)
                                                and _has(link, ("line",), _position) for link in chain))


def _is_fix(fix: object) -> bool:
    return (isinstance(fix, dict) and fix.get("applicability") in ("safe", "unsafe")
            and isinstance(fix.get("message"), str) and isinstance(fix.get("edits"), list)
            and all(isinstance(edit, dict) and _has(edit, POSITION_FIELDS, _position) and _has(edit, ("content",), _is_text)
                    for edit in fix["edits"]))


def _has(item: dict, keys: tuple[str, ...], check: Callable[[object], bool]) -> bool:
    """Whether each of ``keys`` is in ``item`` with a value that passes ``check``."""
    return all(key in item and check(item[key]) for key in keys)


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _position(value: object) -> bool:
    return type(value) is int and value >= 1


CODE = re.compile(r"RTL[0-9]{3}")
CODE_FIELDS = ("code", "name", "message", "path", "severity")
POSITION_FIELDS = ("line", "column", "end_line", "end_column")
