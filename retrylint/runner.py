"""One check run over many files: discover, read, lint or fix, write back. Shared by every
front end that works on files (the CLI today; the flake8 plugin and the LSP later)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from retrylint.cache import Hit, ResultCache, digest, settings_fingerprint
from retrylint.catalog import catalog_for
from retrylint.config import ConfigResolver, Overrides
from retrylint.diagnostics import Diagnostic, unreadable_file
from retrylint.discovery import Discovery, discover, display_path, is_excluded_with_parents
from retrylint.settings import Settings
from retrylint.sources import Source, SourceError, decode_source, read_limited, read_source
from retrylint.stack import on_deep_stack
from retrylint.fixing.writer import remove_stale_temporary_files, write_atomically
from retrylint.workers import EXIT_ORPHANED, holding_ctrl_c, parent_gone, start_worker

if TYPE_CHECKING:
    from retrylint.engine import Engine


MIN_FILES_PER_JOB = 16
CHUNKS_PER_JOB = 32  # small enough that the costly files, which cluster, spread over the workers


@dataclass(frozen=True)
class CheckOptions:
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False  # compute fixes like ``fix`` but write nothing
    config: Path | None = None
    isolated: bool = False
    overrides: Overrides = Overrides()
    jobs: int = 1
    cache_dir: Path | None = None  # None: no cache
    force_exclude: bool = False  # exclude named files too (see discovery.discover)
    dependents: bool = False  # also check the files whose cached findings depend on the given ones
    count_fixes: bool = False  # note what --fix would apply to each file with a fix on offer (offers)


@dataclass
class FileChange:
    """Fixes made (or, with ``diff``, that would be made) to one file."""

    path: str
    before: str
    after: str
    fixed: int
    codes: list[str] = field(default_factory=list)  # the code of each fix


@dataclass
class CheckOutcome:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # display path -> text diagnostics refer to
    changes: list[FileChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line each; they make the exit code 2
    files_checked: int = 0
    baselines: dict[str, Path] = field(default_factory=dict)  # display path -> its config's baseline
    settings: Settings | None = None  # those of the first path given (for run-wide keys: output-format)
    # display path -> how many fixes --fix and --fix --unsafe-fixes would apply to its text
    # (Engine.fixes_on_offer; found with ``count_fixes``); absent (or None) when no fix is on offer.
    offers: dict[str, tuple[int, int] | None] = field(default_factory=dict)

    @property
    def fixed(self) -> int:
        return sum(change.fixed for change in self.changes)


class Progress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self) -> None: ...


def run_check(paths: list[Path], options: CheckOptions, progress: Progress | None = None) -> CheckOutcome:
    """Check (and fix) every file under ``paths``. With a cache (and no fixing), files whose
    findings are cached are reported first, in this process; only the others are linted.

    Raises ConfigError or CatalogError for settings that cannot be used."""
    resolver = ConfigResolver(config=options.config, isolated=options.isolated, overrides=options.overrides)
    discovery = discover(paths, resolver.settings_for, force_exclude=options.force_exclude)
    if options.dependents and options.cache_dir is not None:
        _add_dependents(discovery, ResultCache(options.cache_dir), resolver)
    outcome = CheckOutcome(errors=list(discovery.errors), files_checked=len(discovery.files))
    outcome.settings = resolver.settings_for(paths[0] if paths else Path("."))
    outcome.baselines = {display_path(path): settings.baseline for path, settings in discovery.files if settings.baseline}
    if progress is not None:
        progress.start(len(discovery.files))
    caching = options.cache_dir is not None and not (options.fix or options.diff)
    cache = ResultCache(options.cache_dir) if caching else None
    fingerprints = {settings: _fingerprint(settings, cache) for settings in dict.fromkeys(s for _, s in discovery.files)}
    if options.fix and not options.diff:
        for folder in sorted({path.parent for path, _ in discovery.files}):
            remove_stale_temporary_files(folder)
    todo = discovery.files if cache is None else _report_cached(cache, discovery.files, fingerprints, outcome, progress,
                                                                options.count_fixes)
    chunks = _chunks(todo, options.jobs)
    if options.jobs > 1 and len(chunks) > 1:
        _check_in_workers(chunks, options, caching, paths, outcome, progress, cache)
    else:
        for chunk in chunks:
            _merge(outcome, _check_chunk(chunk, options, caching, paths), progress, cache)
    if cache is not None:
        cache.save()
    outcome.diagnostics.sort(key=lambda d: d.sort_key)
    outcome.changes.sort(key=lambda change: change.path)
    return outcome


def fixes_on_offer(outcome: CheckOutcome, *, safe_too: bool) -> tuple[int, int]:
    """How many fixes ``--fix`` (when ``safe_too``; else 0) and ``--fix --unsafe-fixes`` would apply
    to the reported files as they now are (a run with ``count_fixes``): the sum of what was found,
    where each file was checked (or cached), for the files with a fix on offer still reported."""
    safe = unsafe = 0
    safe_offered = {d.path for d in outcome.diagnostics if d.fix is not None and d.fix.applicability.value == "safe"}
    for shown in {d.path for d in outcome.diagnostics if d.fix is not None}:
        file_safe, file_unsafe = outcome.offers.get(shown) or (0, 0)
        unsafe, safe = unsafe + file_unsafe, safe + (file_safe if safe_too and shown in safe_offered else 0)
    return safe, unsafe


def run_stdin(raw: bytes, filename: Path | None, options: CheckOptions) -> tuple[CheckOutcome, str]:
    """Check (or, with ``fix``/``diff``, fix) a source read from stdin as the file ``filename``
    would be: its settings, its module name, the project around it. Returns the outcome and the
    text after fixes.

    Raises ConfigError or CatalogError for settings that cannot be used."""
    resolver = ConfigResolver(config=options.config, isolated=options.isolated, overrides=options.overrides)
    path = filename or Path("-")
    shown = display_path(path) if filename else "-"
    settings = resolver.settings_for(path)
    catalog_for(settings)
    outcome = CheckOutcome(files_checked=1, settings=settings)
    try:
        text, _ = decode_source(raw)
    except SourceError as error:
        outcome.diagnostics.append(unreadable_file(shown, error.reason, error.line))
        return outcome, raw.decode("utf-8", "surrogateescape")
    if filename and options.force_exclude and is_excluded_with_parents(filename, resolver.settings_for):
        outcome.files_checked = 0
        return outcome, text
    engine = _engine(settings)
    after = text
    try:
        if options.fix or options.diff:
            result = engine.fix_source(text, shown, unsafe=options.unsafe_fixes)
            if result.source != text:
                outcome.changes.append(FileChange(shown, text, result.source, result.applied, result.applied_codes))
            outcome.diagnostics, after = result.diagnostics, result.source
        else:
            outcome.diagnostics = engine.lint_source(text, shown)
    except Exception as error:  # as for a file: an engine bug is one line, not a traceback
        outcome.errors.append(f"internal error while checking {shown}: {type(error).__name__}: {error}")
    if outcome.diagnostics:
        outcome.texts[shown] = after
    outcome.offers[shown] = _offer(engine, after, shown, outcome.diagnostics, options)
    return outcome, after


def _add_dependents(discovery: Discovery, cache: ResultCache, resolver: ConfigResolver) -> None:
    """Add the files whose cached findings depend on the discovered ones (a caller of a changed
    helper module), unless excluded."""
    named = {str(path.resolve()) for path, _ in discovery.files}
    fingerprints = {settings_fingerprint(settings) for _, settings in discovery.files}
    known = {os.path.abspath(path) for path, _ in discovery.files}
    for file in cache.dependents(fingerprints, named):
        path = Path(file)
        if file not in known and not is_excluded_with_parents(path, resolver.settings_for):
            discovery.files.append((path, resolver.settings_for(path)))
    discovery.files.sort(key=lambda item: display_path(item[0]))


def _fingerprint(settings: Settings, cache: ResultCache | None) -> str:
    """The cache fingerprint of ``settings``, once its catalog files are known to be usable: a
    bad one is a usage error (CatalogError), before any work. Files that a saved cache entry
    was made with were usable then (a fingerprint covers their bytes): warm runs skip reading them."""
    fingerprint = settings_fingerprint(settings)
    if cache is None or not cache.has_entries(fingerprint):
        catalog_for(settings)
    return fingerprint


def _report_cached(cache: ResultCache, files: list[tuple[Path, Settings]], fingerprints: dict[Settings, str],
                   outcome: CheckOutcome, progress: Progress | None, count_fixes: bool) -> list[tuple[Path, Settings]]:
    """Report the files whose cached findings are current (and, with ``count_fixes``, hold the
    count of the fixes on offer if there are any); return the others, to be linted.
    All files are looked up (hashed) before dependencies are checked, so that none is hashed twice."""
    found = [_lookup(cache, path, fingerprints[settings]) for path, settings in files]
    todo = []
    for (path, settings), hit_and_text in zip(files, found):
        hit, text = hit_and_text or (None, "")
        if hit is None or not cache.is_current(hit) or (count_fixes and hit.offer is None and _offered(hit.diagnostics)):
            todo.append((path, settings))
            continue
        outcome.diagnostics.extend(hit.diagnostics)
        if hit.diagnostics:
            outcome.texts[display_path(path)] = text
        if hit.offer is not None:
            outcome.offers[display_path(path)] = hit.offer
        if progress is not None:
            progress.advance()
    return todo


def _lookup(cache: ResultCache, path: Path, fingerprint: str) -> tuple[Hit, str] | None:
    """The cache entry of ``path`` with the text its diagnostics refer to (decoded only if
    there are diagnostics); None when the file must be linted."""
    try:
        raw = read_limited(path)
        hit = cache.lookup(fingerprint, path, raw)
        return None if hit is None else (hit, decode_source(raw)[0] if hit.diagnostics else "")
    except (OSError, SourceError):  # linting reports what is wrong with the file
        return None


def _check_in_workers(chunks: list[list], options: CheckOptions, caching: bool, paths: list[Path],
                      outcome: CheckOutcome, progress: Progress | None, cache: ResultCache | None) -> None:
    """Check the chunks in worker processes, which die with this one (Ctrl-C, kill)."""
    from concurrent.futures import ProcessPoolExecutor  # costs start-up time; warm runs need none

    pool = ProcessPoolExecutor(max_workers=options.jobs, initializer=start_worker, initargs=(os.getpid(),))
    try:
        with holding_ctrl_c():  # the workers start now: they must not see Ctrl-C before they ignore it
            parts = [pool.submit(_check_chunk, chunk, options, caching, paths) for chunk in chunks]
        for part in parts:  # not pool.map: its iterator cancels what is left when interrupted, and
            _merge(outcome, part.result(), progress, cache)  # failing a cancelled future raises
    except BaseException:  # Ctrl-C or a broken worker: stop the others now, not after their work
        for worker in list((getattr(pool, "_processes", None) or {}).values()):
            worker.kill()  # the pool then fails what is left (cancelling too races with that)
        pool.shutdown(wait=False)
        raise
    pool.shutdown()


def _chunks(files: list, jobs: int) -> list[list]:
    """Runs of files for the workers: several per worker, so that one slow file does not
    hold the others back; consecutive files stay together (they share modules)."""
    if jobs <= 1 or len(files) < MIN_FILES_PER_JOB * 2:
        return [files]
    size = max(MIN_FILES_PER_JOB, len(files) // (jobs * CHUNKS_PER_JOB))
    return [files[start:start + size] for start in range(0, len(files), size)]


_ENGINES: dict[Settings, Engine] = {}


def _engine(settings: Settings) -> Engine:
    """This process's engine for ``settings``, made (and libcst imported) on first need: a run
    whose findings are all cached needs none."""
    if settings not in _ENGINES:
        from retrylint.engine import Engine

        _ENGINES[settings] = Engine(settings)
    return _ENGINES[settings]


def _check_chunk(files: list[tuple[Path, Settings]], options: CheckOptions, caching: bool,
                 checked_paths: list[Path]) -> tuple[CheckOutcome, list[tuple]]:
    """Check some files in this process (a worker, or the main one); with ``caching``, also
    return the arguments of ``ResultCache.put`` for each file linted. Fixes are written only
    to files inside ``checked_paths`` (the paths given)."""
    return on_deep_stack(_check_files, files, options, caching, checked_paths)


def _check_files(files: list[tuple[Path, Settings]], options: CheckOptions, caching: bool,
                 checked_paths: list[Path]) -> tuple[CheckOutcome, list[tuple]]:
    outcome, linted = CheckOutcome(), []
    for path, settings in files:
        _check_file(path, _engine(settings), options, outcome, checked_paths, linted if caching else None)
        outcome.files_checked += 1
    return outcome, linted


def _merge(outcome: CheckOutcome, checked: tuple[CheckOutcome, list[tuple]], progress: Progress | None,
           cache: ResultCache | None) -> None:
    part, linted = checked
    for item in linted:  # none without a cache
        cache.put(*item)
    outcome.diagnostics.extend(part.diagnostics)
    outcome.texts.update(part.texts)
    outcome.offers.update(part.offers)
    outcome.changes.extend(part.changes)
    outcome.errors.extend(part.errors)
    if progress is not None:
        for _ in range(part.files_checked):
            progress.advance()


def _check_file(path: Path, engine: Engine, options: CheckOptions, outcome: CheckOutcome,
                checked_paths: list[Path], linted: list[tuple] | None = None) -> None:
    shown = display_path(path)
    try:
        source = read_source(path)
        diagnostics, text, offer = _lint_or_fix(source, shown, engine, options, outcome, checked_paths, linted)
    except SourceError as error:
        outcome.diagnostics.append(unreadable_file(shown, error.reason, error.line))
        return
    except Exception as error:  # an engine bug must not hide the other files' results
        outcome.errors.append(f"internal error while checking {shown}: {type(error).__name__}: {error}")
        return
    outcome.diagnostics.extend(diagnostics)
    if diagnostics:
        outcome.texts[shown] = text
    if offer is not None:  # one entry for each file of a large tree grew a run's memory with it
        outcome.offers[shown] = offer


def _lint_or_fix(source: Source, shown: str, engine: Engine, options: CheckOptions, outcome: CheckOutcome,
                 checked_paths: list[Path], linted: list[tuple] | None) -> tuple[list[Diagnostic], str, tuple | None]:
    """The diagnostics left in the file, the text they refer to and, with ``count_fixes``, the
    fixes on offer there (None when there are none)."""
    if not (options.fix or options.diff):
        diagnostics, offer = _lint(source, shown, engine, options, linted)
        return diagnostics, source.text, offer
    diagnostics, text = _fix(source, shown, engine, options, outcome, checked_paths)
    return diagnostics, text, _offer(engine, text, shown, diagnostics, options)


def _fix(source: Source, shown: str, engine: Engine, options: CheckOptions, outcome: CheckOutcome,
         checked_paths: list[Path]) -> tuple[list[Diagnostic], str]:
    result = engine.fix_source(source.text, shown, unsafe=options.unsafe_fixes)
    if result.source == source.text:
        return result.diagnostics, source.text
    if options.fix and not options.diff and parent_gone():
        os._exit(EXIT_ORPHANED)  # nobody is left to report this fix: write nothing
    if options.fix and not options.diff and not write_atomically(source, result.source, checked_paths):
        return engine.lint_source(source.text, shown), source.text
    outcome.changes.append(FileChange(shown, source.text, result.source, result.applied, result.applied_codes))
    return result.diagnostics, result.source


def _lint(source: Source, shown: str, engine: Engine, options: CheckOptions,
          linted: list[tuple] | None) -> tuple[list[Diagnostic], tuple[int, int] | None]:
    """The file's diagnostics and the fixes on offer (``_offer``); with ``linted``, noted there
    for the cache with the files they depend on, under the digest of the bytes actually linted."""
    if linted is None:
        diagnostics = engine.lint_source(source.text, shown)
        return diagnostics, _offer(engine, source.text, shown, diagnostics, options)
    with engine.project.tracking() as dependencies:
        diagnostics = engine.lint_source(source.text, shown)
        offer = _offer(engine, source.text, shown, diagnostics, options)
    linted.append((engine.fingerprint, source.path, digest(source.raw), diagnostics, dependencies, offer))
    return diagnostics, offer


def _offer(engine: Engine, text: str, shown: str, diagnostics: list[Diagnostic],
           options: CheckOptions) -> tuple[int, int] | None:
    """With ``count_fixes``, how many fixes --fix and --fix --unsafe-fixes would apply to ``text``
    (whose diagnostics are given); None when none is on offer. An engine bug counts none (the
    file's check reported it, or its fixing will)."""
    if not options.count_fixes or not _offered(diagnostics):
        return None
    try:
        return engine.fixes_on_offer(text, shown, diagnostics)
    except Exception:
        return (0, 0)


def _offered(diagnostics: list[Diagnostic]) -> bool:
    return any(d.fix is not None for d in diagnostics)
