"""The declarative catalog: which calls are retry layers, SDK clients, billable calls and
deterministic errors. Loaded from the TOML files in ``rules/`` plus the user's own files."""

from __future__ import annotations

import fnmatch
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retrylint.settings import Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


class CatalogError(Exception):
    """A catalog file that cannot be used; the message names the file and the line."""


def builtin_catalog_dir() -> Path:
    """``rules/`` as shipped in the wheel (retrylint/catalog) or in a source checkout."""
    packaged = Path(__file__).parent / "catalog"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "rules"


@dataclass(frozen=True)
class AttemptsSpec:
    param: str | None = None
    default: int | None = None  # None: unbounded
    counts: str = "attempts"  # or "retries" (attempts = value + 1)
    none: str = "unbounded"  # what an explicit None means: "unbounded" | "default"
    nonpositive: str | None = None  # "unbounded" when 0 or less never stops
    true: str | None = None  # "unbounded" when ``param=True`` retries forever
    other_caps: tuple[str, ...] = ()  # params that cap the attempts too when not None

    def total(self, value: int) -> int:
        return value + 1 if self.counts == "retries" else value


@dataclass(frozen=True)
class LayerSpec:
    library: str
    names: tuple[str, ...]
    form: str  # decorator | retrying | context | task
    dialect: str  # tenacity | kwargs
    label: str
    attempts: AttemptsSpec = AttemptsSpec()
    deadline_params: tuple[str, ...] = ()
    deadline_default: float | None = None
    deadline_nonpositive: str | None = None
    retry_on_param: str | None = None
    retry_on_position: int | None = None
    retries_nothing: bool = False  # retries on results or only by hand, never on an exception
    never_retry: tuple[str, ...] = ()
    waits: bool = False
    delay_params: tuple[str, ...] = ()  # a delay before each retry: 0 means no wait
    growth_params: tuple[str, ...] = ()  # a truthy value makes the delay grow
    wait_params: tuple[str, ...] = ()  # any of them given means the layer waits
    predicate_params: tuple[str, ...] = ()  # a callable that decides whether to retry
    predicate_replaces_attempts: bool = False
    # Call-site layers (``queue.enqueue(f, retry=Retry(max=3))``): the retried function is an
    # argument; the policy is read from an object passed as ``policy_param`` (or from the call
    # itself when there is no policy_param).
    target_position: int | None = None
    target_keyword: str | None = None
    policy_param: str | None = None
    policy_objects: tuple[str, ...] = ()
    absent_policy: str = "none"  # "none": no retries without it; "default": the defaults apply
    enabled_by: str | None = None  # a flag that must be passed as True for any retry to happen
    # Errors the retried function can raise to stop the layer at once, e.g.
    # ``ApplicationError(..., non_retryable=True)``: "<qualified name>:<keyword>".
    stop_raises: tuple[str, ...] = ()
    # Options a surrounding object supplies when the layer's own call leaves them out (Airflow's
    # ``DAG(default_args={"retries": 3})``): the keyword holding them, and the calls that take it.
    defaults_keyword: str | None = None
    defaults_from: tuple[str, ...] = ()
    defaults_object_param: str | None = None  # the layer call's keyword naming that object (``dag=``)
    fix_cap: str | None = None
    fix_never_retry: str | None = None
    fix_never_retry_style: str = "tuple"  # or "predicate": the parameter takes a callable
    fix_backoff: str | None = None
    # Task queues
    receiver_method: str | None = None
    task_base: tuple[str, ...] = ()
    base_param: str | None = None
    bind_param: str | None = None
    bound_retry: str | None = None
    bound_retry_attempts: str | None = None
    bound_retry_delay: str | None = None
    retry_kwargs_param: str | None = None
    stable_id: str | None = None  # ``{self}``: the bound task's first parameter
    task_base_method: str | None = None  # the method of a task_base subclass that runs the task
    retries_async_generators: bool = True  # False: an async generator it decorates is no layer
    infer_keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntryPointSpec:
    """A function that another system re-invokes when it fails (a Cloud Tasks or SQS handler,
    a webhook): matched by qualified-name globs or by a marker string in its body."""

    label: str
    names: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()  # lower-case substrings, e.g. a header name it reads
    attempts: int | str = "unknown"  # an int, "unbounded" or "unknown"
    retry_on: tuple[str, ...] = ()  # qualified exception names; empty: every failure


def entry_point_from_table(table: dict, where: str) -> EntryPointSpec:
    """Read one ``[[entrypoint]]`` table (catalog or config); raises ValueError naming ``where``."""
    unknown = set(table) - {"label", "name", "names", "markers", "attempts", "retry-on", "retry_on"}
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r} in an entrypoint of {where}")
    names = table.get("names", [table["name"]] if "name" in table else [])
    attempts = table.get("attempts", "unknown")
    retry_on = table.get("retry-on", table.get("retry_on", []))
    if retry_on == "all":
        retry_on = []
    checks = [
        (isinstance(names, list) and all(isinstance(n, str) for n in names) and (names or table.get("markers")),
         "'name' (a qualified-name glob) or 'markers'"),
        (isinstance(attempts, int) and not isinstance(attempts, bool) and attempts >= 1 or attempts in ("unbounded", "unknown"),
         "'attempts': an integer >= 1, \"unbounded\" or \"unknown\""),
        (isinstance(retry_on, list) and all(isinstance(n, str) for n in retry_on), "'retry-on': \"all\" or a list of exception names"),
        (isinstance(table.get("markers", []), list), "'markers': a list of strings"),
    ]
    for ok, needed in checks:
        if not ok:
            raise ValueError(f"an entrypoint of {where} needs {needed}")
    return EntryPointSpec(
        label=str(table.get("label", "retried entry point")),
        names=tuple(names),
        markers=tuple(m.lower() for m in table.get("markers", [])),
        attempts=attempts,
        retry_on=tuple(retry_on),
    )


@dataclass(frozen=True)
class ClientSpec:
    provider: str
    names: tuple[str, ...]
    label: str
    module: bool = False
    retries_param: str | None = None
    default_retries: int = 0
    setting: str | None = None
    option_methods: tuple[str, ...] = ()
    passthrough: tuple[str, ...] = ()
    opaque_params: tuple[str, ...] = ()  # constructor keywords that may change retries unseen
    base_url_param: str | None = None  # the constructor keyword naming the server
    local_base_urls: tuple[str, ...] = ()  # globs of servers on this machine: nothing is billed


@dataclass(frozen=True)
class BillableSpec:
    provider: str
    kind: str  # llm | payment | message
    clients: tuple[str, ...] = ()
    calls: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    idempotency_key: str | None = None
    idempotency_option: str | None = None
    stable_key_fix: str | None = None

    @property
    def moves_money_or_sends(self) -> bool:
        return self.kind in ("payment", "message")


@dataclass(frozen=True)
class ErrorLibrary:
    library: str
    module: str
    aliases: tuple[str, ...] = ()
    detect: tuple[str, ...] = ()
    deterministic: tuple[str, ...] = ()
    also_deterministic: tuple[str, ...] = ()
    broad: tuple[str, ...] = ()

    def qualified(self, names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(f"{self.module}.{name}" for name in names)


_LAYER_KEYS = {
    "library", "names", "form", "dialect", "label", "attempts", "deadline", "retry_on",
    "never_retry", "backoff", "fix", "receiver_method", "task_base", "base_param",
    "bind_param", "bound_retry", "bound_retry_attempts", "bound_retry_delay", "retry_kwargs_param", "stable_id",
    "task_base_method", "retries_async_generators",
    "infer_keywords", "target", "policy_param", "policy_objects", "absent_policy", "enabled_by", "stop_raises",
    "defaults",
}
_CLIENT_KEYS = {
    "provider", "names", "label", "module", "retries", "setting", "option_methods", "passthrough",
    "factories", "service", "opaque_params", "base_url_param", "local_base_urls",
}
_BILLABLE_KEYS = {"provider", "kind", "clients", "calls", "names", "idempotency_key", "idempotency_option", "stable_key_fix"}
_ERROR_KEYS = {"library", "module", "aliases", "detect", "deterministic", "also_deterministic", "broad"}
_TOP_KEYS = {"layer", "client", "billable", "errors", "tenacity", "infallible", "loops", "entrypoint"}


def _toml_error_line(message: str, text: str) -> int:
    """The line a tomllib error names: ``(at line N, column M)``, or the last for ``(at end of document)``."""
    found = re.search(r"\(at line (\d+), column \d+\)$", message)
    return int(found.group(1)) if found else max(len(text.splitlines()), 1)


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return 1


def _check_keys(path: Path, text: str, table: dict, allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise CatalogError(f"{path}:{_line_of(text, key)}: unknown key '{key}' in {where}")


def _strings(path: Path, text: str, table: dict, key: str) -> tuple[str, ...]:
    value = table.get(key, ())
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise CatalogError(f"{path}:{_line_of(text, key)}: '{key}' must be a list of strings")
    return tuple(value)


def _layer(path: Path, text: str, table: dict) -> LayerSpec:
    _check_keys(path, text, table, _LAYER_KEYS, "[[layer]]")
    attempts = table.get("attempts", {})
    deadline = table.get("deadline", {})
    retry_on = table.get("retry_on", {})
    backoff = table.get("backoff", {})
    fix = table.get("fix", {})
    target = table.get("target", {})
    defaults = table.get("defaults", {})
    default = attempts.get("default", "unbounded")
    if default != "unbounded" and not isinstance(default, int):
        raise CatalogError(f"{path}:{_line_of(text, 'attempts')}: attempts.default must be an integer or \"unbounded\"")
    names = _strings(path, text, table, "names")
    if not names and not table.get("receiver_method"):
        raise CatalogError(f"{path}:{_line_of(text, '[[layer]]')}: a [[layer]] needs 'names' or 'receiver_method'")
    first = names[0] if names else table["receiver_method"]
    return LayerSpec(
        library=table.get("library", first.split(".")[0]),
        names=names,
        form=table.get("form", "decorator"),
        dialect=table.get("dialect", "kwargs"),
        label=table.get("label", first),
        attempts=AttemptsSpec(
            param=attempts.get("param"),
            default=None if default == "unbounded" else default,
            counts=attempts.get("counts", "attempts"),
            none=attempts.get("none", "unbounded"),
            nonpositive=attempts.get("nonpositive"),
            true=attempts.get("true"),
            other_caps=tuple(attempts.get("other_caps", ())),
        ),
        deadline_params=tuple(deadline.get("params", ())),
        deadline_default=deadline.get("default"),
        deadline_nonpositive=deadline.get("nonpositive"),
        retry_on_param=retry_on.get("param"),
        retry_on_position=retry_on.get("position"),
        retries_nothing=bool(retry_on.get("none", False)),
        never_retry=_strings(path, text, table, "never_retry"),
        waits=bool(backoff.get("waits", False)),
        delay_params=tuple(backoff.get("delay_params", ())),
        growth_params=tuple(backoff.get("growth_params", ())),
        wait_params=tuple(backoff.get("wait_params", ())),
        predicate_params=tuple(retry_on.get("predicate_params", ())),
        predicate_replaces_attempts=bool(retry_on.get("predicate_replaces_attempts", False)),
        target_position=target.get("position"),
        target_keyword=target.get("keyword"),
        policy_param=table.get("policy_param"),
        policy_objects=_strings(path, text, table, "policy_objects"),
        absent_policy=table.get("absent_policy", "none"),
        enabled_by=table.get("enabled_by"),
        stop_raises=_strings(path, text, table, "stop_raises"),
        defaults_keyword=defaults.get("keyword"),
        defaults_from=tuple(defaults.get("from", ())),
        defaults_object_param=defaults.get("object_param"),
        fix_cap=fix.get("cap"),
        fix_never_retry=fix.get("never_retry"),
        fix_never_retry_style=fix.get("never_retry_style", "tuple"),
        fix_backoff=fix.get("backoff"),
        receiver_method=table.get("receiver_method"),
        task_base=_strings(path, text, table, "task_base"),
        base_param=table.get("base_param"),
        bind_param=table.get("bind_param"),
        bound_retry=table.get("bound_retry"),
        bound_retry_attempts=table.get("bound_retry_attempts"),
        bound_retry_delay=table.get("bound_retry_delay"),
        retry_kwargs_param=table.get("retry_kwargs_param"),
        stable_id=table.get("stable_id"),
        task_base_method=table.get("task_base_method"),
        retries_async_generators=bool(table.get("retries_async_generators", True)),
        infer_keywords=_strings(path, text, table, "infer_keywords"),
    )


def _client(path: Path, text: str, table: dict) -> ClientSpec:
    _check_keys(path, text, table, _CLIENT_KEYS, "[[client]]")
    retries = table.get("retries", {})
    names = _strings(path, text, table, "names")
    # A client made by a factory for a named service: ``boto3.client("bedrock-runtime")``.
    names += tuple(f"{factory}[{table['service']}]" for factory in _strings(path, text, table, "factories"))
    return ClientSpec(
        provider=table.get("provider", names[0].split(".")[0] if names else "?"),
        names=names,
        label=table.get("label", names[0] if names else "SDK client"),
        module=bool(table.get("module", False)),
        retries_param=retries.get("param"),
        default_retries=int(retries.get("default", 0)),
        setting=table.get("setting"),
        option_methods=_strings(path, text, table, "option_methods"),
        passthrough=_strings(path, text, table, "passthrough"),
        opaque_params=_strings(path, text, table, "opaque_params"),
        base_url_param=table.get("base_url_param"),
        local_base_urls=_strings(path, text, table, "local_base_urls"),
    )


def _billable(path: Path, text: str, table: dict) -> BillableSpec:
    _check_keys(path, text, table, _BILLABLE_KEYS, "[[billable]]")
    kind = table.get("kind", "llm")
    if kind not in ("llm", "payment", "message"):
        raise CatalogError(f"{path}:{_line_of(text, 'kind')}: kind must be llm, payment or message, got {kind!r}")
    return BillableSpec(
        provider=table.get("provider", "custom"),
        kind=kind,
        clients=_strings(path, text, table, "clients"),
        calls=_strings(path, text, table, "calls"),
        names=_strings(path, text, table, "names"),
        idempotency_key=table.get("idempotency_key"),
        idempotency_option=table.get("idempotency_option"),
        stable_key_fix=table.get("stable_key_fix"),
    )


def _errors(path: Path, text: str, table: dict) -> ErrorLibrary:
    _check_keys(path, text, table, _ERROR_KEYS, "[[errors]]")
    if "module" not in table:
        raise CatalogError(f"{path}:{_line_of(text, '[[errors]]')}: an [[errors]] table needs 'module'")
    return ErrorLibrary(
        library=table.get("library", table["module"]),
        module=table["module"],
        aliases=_strings(path, text, table, "aliases"),
        detect=_strings(path, text, table, "detect"),
        deterministic=_strings(path, text, table, "deterministic"),
        also_deterministic=_strings(path, text, table, "also_deterministic"),
        broad=_strings(path, text, table, "broad"),
    )


@dataclass
class Catalog:
    layers: list[LayerSpec] = field(default_factory=list)
    clients: list[ClientSpec] = field(default_factory=list)
    billables: list[BillableSpec] = field(default_factory=list)
    error_libraries: list[ErrorLibrary] = field(default_factory=list)
    tenacity: dict[str, object] = field(default_factory=dict)
    infallible: dict[str, list[str]] = field(default_factory=dict)
    loops: dict[str, list[str]] = field(default_factory=dict)
    entrypoints: list[EntryPointSpec] = field(default_factory=list)
    billable_patterns: tuple[str, ...] = ()
    extra_deterministic: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        self.layer_by_name = {name: spec for spec in self.layers for name in spec.names}
        self.layers_by_receiver_method = {
            spec.receiver_method: spec for spec in self.layers if spec.receiver_method
        }
        self.task_bases = {base: spec for spec in self.layers for base in spec.task_base}
        # The last part of every layer's name: a call named otherwise is no layer.
        self.layer_leaves = {name.rpartition(".")[2] for name in self.layer_by_name} | set(self.layers_by_receiver_method)
        self.client_by_name = {name: spec for spec in self.clients for name in spec.names}
        self.passthrough_attrs = {attr for spec in self.clients for attr in spec.passthrough}
        # Classes whose instances carry layers (``app = Celery(); @app.task``).
        self.known_classes = {
            owner
            for name in [*self.layer_by_name, *(n.partition("[")[0] for n in self.client_by_name if "[" in n)]
            for owner in [name.rpartition(".")[0]]
            if owner and owner.rpartition(".")[2][:1].isupper()
        }
        self.billable_by_name: dict[str, BillableSpec] = {}
        for spec in self.billables:
            for name in spec.names:
                self.billable_by_name[name] = spec
            for client in spec.clients:
                for call in spec.calls:
                    self.billable_by_name[f"{client}.{call}"] = spec
        self.canonical_prefix = {
            alias: lib.module for lib in self.error_libraries for alias in lib.aliases
        }
        self.deterministic: dict[str, ErrorLibrary | None] = {}
        self.broad: set[str] = set()
        for lib in self.error_libraries:
            for name in lib.qualified(lib.deterministic + lib.also_deterministic):
                self.deterministic[name] = lib
            self.broad.update(lib.qualified(lib.broad))
        self.loop_deadline_contexts = tuple(self.loops.get("deadline_contexts", ()))
        self.infallible_names = set(self.infallible.get("names", ()))
        self.infallible_methods = set(self.infallible.get("methods", ()))
        self.infallible_receivers = set(self.infallible.get("receivers", ()))
        self.interrupt_exceptions = set(self.infallible.get("interrupts", ()))
        # The top modules of the billable SDKs: their errors come from their own calls only.
        self.billable_roots = {
            name.partition(".")[0] for spec in self.billables for name in (*spec.clients, *spec.names)
        }
        for name in self.extra_deterministic:
            self.deterministic.setdefault(self.canonical_exception(name), None)

    def tenacity_names(self, key: str) -> tuple[str, ...]:
        value = self.tenacity.get(key, ())
        return tuple(value) if isinstance(value, list) else (value,)

    def canonical_exception(self, name: str) -> str:
        """Map an exception's qualified name to the spelling the catalog uses."""
        module, _, attr = name.rpartition(".")
        if module in self.canonical_prefix:
            return f"{self.canonical_prefix[module]}.{attr}"
        return name

    def billable(self, qualname: str) -> BillableSpec | None:
        spec = self.billable_by_name.get(qualname)
        if spec is None and any(fnmatch.fnmatchcase(qualname, p) for p in self.billable_patterns):
            return BillableSpec(provider=qualname.split(".")[0], kind="llm", names=(qualname,))
        return spec

    def libraries_detected_by(self, imported_modules: set[str]) -> list[ErrorLibrary]:
        found = []
        for lib in self.error_libraries:
            if any(m == d or m.startswith(d + ".") for d in lib.detect for m in imported_modules):
                found.append(lib)
        return found

    def library_for_provider(self, provider: str) -> ErrorLibrary | None:
        return next((lib for lib in self.error_libraries if lib.library == provider), None)

    def merge_file(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CatalogError(f"{path}: cannot read catalog file: {error}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise CatalogError(f"{path}:{_toml_error_line(str(error), text)}: invalid TOML: {error}") from None
        _check_keys(path, text, data, _TOP_KEYS, "the catalog file")
        for key, reader, target in (
            ("layer", _layer, self.layers),
            ("client", _client, self.clients),
            ("billable", _billable, self.billables),
            ("errors", _errors, self.error_libraries),
        ):
            tables = data.get(key, [])
            if not isinstance(tables, list):
                raise CatalogError(f"{path}:{_line_of(text, key)}: '{key}' must be an array of tables ([[{key}]])")
            target.extend(reader(path, text, table) for table in tables)
        for table in data.get("entrypoint", []):
            try:
                self.entrypoints.append(entry_point_from_table(table, str(path)))
            except (ValueError, KeyError, TypeError) as error:
                raise CatalogError(f"{path}:{_line_of(text, 'entrypoint')}: {error}") from None
        for section in ("tenacity", "infallible", "loops"):
            merged = getattr(self, section)
            for key, value in data.get(section, {}).items():
                merged[key] = list(merged.get(key, [])) + value if isinstance(value, list) else value


@lru_cache(maxsize=None)
def _builtin_files() -> tuple[Path, ...]:
    return tuple(sorted(builtin_catalog_dir().glob("*.toml")))


def catalog_files(extra_files: tuple[Path, ...] = ()) -> tuple[Path, ...]:
    """The shipped catalog files, then the user's."""
    return _builtin_files() + tuple(extra_files)


def catalog_for(settings: "Settings") -> Catalog:
    """The catalog a run with ``settings`` uses, read again only when one of its files changed
    (a language server lives long); not to be changed. Raises CatalogError for a file it cannot use."""
    return _catalog_for(settings, tuple(_stamp(path) for path in catalog_files(settings.extend_catalog)))


@lru_cache(maxsize=16)
def _catalog_for(settings: "Settings", stamps: tuple) -> Catalog:
    return load_catalog(settings.extend_catalog, settings.billable, settings.non_retryable, settings.entrypoint)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def load_catalog(
    extra_files: tuple[Path, ...] = (),
    billable_patterns: tuple[str, ...] = (),
    non_retryable: tuple[str, ...] = (),
    entrypoints: tuple[EntryPointSpec, ...] = (),
) -> Catalog:
    """The shipped catalog, extended with the user's files and config entries."""
    catalog = Catalog()
    for path in catalog_files(extra_files):
        catalog.merge_file(path)
    catalog.entrypoints.extend(entrypoints)
    catalog.billable_patterns = tuple(billable_patterns)
    catalog.extra_deterministic = tuple(non_retryable)
    catalog.reindex()
    return catalog
