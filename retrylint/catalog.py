"""The declarative catalog: which calls are retry layers, SDK clients, billable calls and
deterministic errors. Loaded from the TOML files in ``rules/`` plus the user's own files."""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from retrylint.catalog_endpoints import compile_base_urls, compile_endpoints, compile_senders
from retrylint.catalog_schema import MAX_CATALOG_BYTES, CatalogError, Locator, Where, read_spec, suggestion
from retrylint.catalog_specs import (
    ARRAYS, SECTIONS, AttemptsSpec, BillableSpec, ClientSpec, Dialect, EntryPointSpec, ErrorLibrary, ExceptionSetSpec,
    Form, Kind, LayerSpec,
)

if TYPE_CHECKING:
    from retrylint.settings import Settings

_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")

__all__ = [  # the specs are declared in catalog_specs.py, read by catalog_schema.py
    "AttemptsSpec", "BillableSpec", "CatalogError", "ClientSpec", "Dialect", "EntryPointSpec", "ErrorLibrary", "ExceptionSetSpec", "Form",
    "Kind", "LayerSpec", "MAX_CATALOG_BYTES", "Catalog", "catalog_for", "load_catalog", "entry_point_from_table",
]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


def builtin_catalog_dir() -> Path:
    """``rules/`` as shipped in the wheel (retrylint/catalog) or in a source checkout."""
    packaged = Path(__file__).parent / "catalog"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "rules"


def entry_point_from_table(table: object, where: str) -> EntryPointSpec:
    """Read one ``[[tool.retrylint.entrypoint]]`` table of a config; raises CatalogError naming ``where``."""
    return read_spec(EntryPointSpec, table, Where(f"an entrypoint of {where}", Locator(None, ""), 1))


@dataclass
class Catalog:
    layers: list[LayerSpec] = field(default_factory=list)
    clients: list[ClientSpec] = field(default_factory=list)
    billables: list[BillableSpec] = field(default_factory=list)
    error_libraries: list[ErrorLibrary] = field(default_factory=list)
    exception_sets: list[ExceptionSetSpec] = field(default_factory=list)
    tenacity: dict[str, object] = field(default_factory=dict)
    infallible: dict[str, list[str]] = field(default_factory=dict)
    loops: dict[str, list[str]] = field(default_factory=dict)
    http: dict[str, list[str]] = field(default_factory=dict)
    fields: dict[str, list[str]] = field(default_factory=dict)
    entrypoints: list[EntryPointSpec] = field(default_factory=list)
    billable_patterns: tuple[str, ...] = ()
    extra_deterministic: tuple[str, ...] = ()
    infer_shapes: bool = True  # config infer-billable-shapes: calls billable by their shape alone

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
        self.http_senders = compile_senders(self.http.get("senders", ()))  # raw HTTP requests (catalog_endpoints.py)
        self.http_base_urls = compile_base_urls(self.http.get("base_urls", ()))
        # Field declarations (pydantic.Field): name -> whether the default may come by position.
        self.field_declarations = {spec.partition("(")[0]: not spec.partition("(")[2].startswith("*")
                                   for spec in self.fields.get("declarations", ())}
        self.endpoints = compile_endpoints(self.billables)
        self.passthrough_attrs = {attr for spec in self.clients for attr in spec.passthrough}
        # What a call on a client makes (``client.chats.create`` -> ``google.genai.chats.Chat``).
        self.made_by_call = {
            f"{name}.{call}": made
            for spec in self.clients for name in spec.names for call, _, made in (m.partition(":") for m in spec.makes)
        }
        # Classes whose instances carry layers (``app = Celery(); @app.task``) or send requests (``requests.Session()``).
        self.known_classes = {
            owner
            for name in [*self.layer_by_name, *(n.partition("[")[0] for n in self.client_by_name if "[" in n), *self.http_senders]
            for owner in [name.rpartition(".")[0]]
            if owner and owner.rpartition(".")[2][:1].isupper()
        }
        self._index_billables()
        self.exception_set_by_name = {spec.name: spec.classes for spec in self.exception_sets}
        self.billable_shapes = self._shapes()
        self.canonical_prefix = {
            alias: lib.module for lib in self.error_libraries for alias in lib.aliases
        }
        self._index_errors()
        self.loop_deadline_contexts = tuple(self.loops.get("deadline_contexts", ()))
        self.loop_counting_iterators = tuple(self.loops.get("counting_iterators", ()))
        self.loop_iterators = self.loop_counting_iterators + tuple(self.loops.get("endless_iterators", ()))
        self.loop_wait_calls = tuple(self.loops.get("wait_calls", ()))
        self.loop_transient_texts = tuple(self.loops.get("transient_texts", ()))
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
        self.names_by_module: dict[str, set[str]] = {}  # what ``from MODULE import *`` binds, as far as the catalog says
        for qualname in self._qualified_names():
            module, _, name = qualname.rpartition(".")
            if module and name.isidentifier() and not name.startswith("_"):
                self.names_by_module.setdefault(module, set()).add(name)

    def _index_errors(self) -> None:
        self.deterministic: dict[str, ErrorLibrary | None] = {}
        # The classes a 400, 401, 403, 404 or 422 leaves an SDK as, and those statuses.
        self.core_deterministic = {name for lib in self.error_libraries for name in lib.qualified(lib.deterministic)}
        self.deterministic_statuses = {status for lib in self.error_libraries for status in lib.statuses}
        self.broad: set[str] = set()
        self.transient: set[str] = set()
        self.answer_errors: set[str] = set()
        self.racing: set[str] = set()  # deterministic unless the attempt reads again what a concurrent writer changed
        self.rereads: set[str] = set()  # the calls that read so (any library's: a read is a read)
        for lib in self.error_libraries:
            for name in lib.qualified(lib.deterministic + lib.also_deterministic):
                self.deterministic[name] = lib
            self.broad.update(lib.qualified(lib.broad))
            self.transient.update(lib.qualified(lib.transient))
            self.answer_errors.update(lib.qualified(lib.answers))
            self.racing.update(lib.qualified(lib.racing))
            self.rereads.update(lib.rereads)

    def _qualified_names(self) -> list[str]:
        """Every qualified name the catalog declares (not the modules on the way: ``tenacity.stop``
        of ``tenacity.stop.stop_after_attempt`` is a submodule, which a star import need not bind)."""
        return [
            *self.layer_by_name, *(n.partition("[")[0] for n in self.client_by_name), *self.known_classes,
            *self.billable_by_name, *self.billable_classes, *self.deterministic, *self.broad, *self.transient, *self.answer_errors,
            *self.task_bases, *self.infallible_names, *self.loop_deadline_contexts,
            *(name for spec in self.layers for name in spec.policy_objects),
            *(name for spec in self.clients for name in spec.factories),
            *_DOTTED_NAME.findall(repr(self.tenacity)),  # its builders, and the names its fix templates write
        ]

    def star_names(self, module: str) -> set[str]:
        """The names ``from module import *`` binds that the catalog knows of: those it declares
        directly in ``module`` (``tenacity.retry``, ``tenacity.stop_after_attempt``). Nothing is imported."""
        return self.names_by_module.get(module, set())

    def _index_billables(self) -> None:
        self.billable_by_name: dict[str, BillableSpec] = {}
        # Classes whose instances (and those of a project's subclasses) make billable calls.
        self.billable_classes = {
            client for spec in self.billables for client in spec.clients if client.rpartition(".")[2][:1].isupper()
        }
        for spec in self.billables:
            for name in spec.names:
                self.billable_by_name[name] = spec
            for client in spec.clients:
                for call in spec.calls:
                    self.billable_by_name[f"{client}.{call}"] = spec
        # Paid functions of an SDK module (``litellm.completion``, not ``agents.Runner.run``): a project
        # function of that name may only pass its arguments on to one (analysis/forwarders.py).
        self.module_functions = {
            name for name in self.billable_by_name
            if (owner := name.rpartition(".")[0]) in self.client_by_name and self.client_by_name[owner].module
            and owner.rpartition(".")[2][:1].islower()
        }
        self.module_function_leaves = {name.rpartition(".")[2] for name in self.module_functions}

    def _shapes(self) -> dict[str, list[tuple[tuple[str, ...], frozenset[str], BillableSpec]]]:
        """Calls billable by their shape alone, by their last attribute: (attributes, keywords, spec)."""
        shapes: dict[str, list[tuple[tuple[str, ...], frozenset[str], BillableSpec]]] = {}
        for spec in self.billables if self.infer_shapes else ():
            for shape in spec.shapes:
                attrs, keywords = _shape(shape)
                shapes.setdefault(attrs[-1], []).append((attrs, keywords, spec))
        return shapes

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

    def library_of_exception(self, name: str) -> ErrorLibrary | None:
        """The error library that declares the class ``name`` (canonical spelling), if any."""
        for lib in self.error_libraries:
            if name in lib.qualified(lib.deterministic + lib.also_deterministic + lib.broad + lib.transient + lib.answers):
                return lib
        return None

    def raised_libraries(self, providers: list[str]) -> set[str] | None:
        """The error libraries whose classes the calls of all ``providers`` can raise (builtins'
        aside), or None when the catalog does not say for one of them."""
        raised: set[str] = set()
        for provider in providers:
            lib = self.library_for_provider(provider)
            if lib is None or not lib.raises:
                return None
            raised.update(lib.raises)
        return raised

    def never_raised(self, providers: list[str]) -> set[str]:
        """The builtins classes (qualified) the calls of every one of ``providers`` never raise."""
        found: set[str] | None = None
        for provider in providers:
            lib = self.library_for_provider(provider)
            names = {f"builtins.{name}" for name in lib.never_raises} if lib is not None else set()
            found = names if found is None else found & names
        return found or set()

    def merge_file(self, path: Path) -> None:
        text = read_catalog_text(path)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise CatalogError(f"{path}:{_toml_error_line(str(error), text)}: invalid TOML: {error}") from None
        except RecursionError:
            raise CatalogError(f"{path}: invalid TOML: nested too deeply") from None
        except ValueError as error:  # an integer of more digits than Python converts
            raise CatalogError(f"{path}: invalid TOML: {' '.join(str(error).split(';')[0].split())}") from None
        locator = Locator(path, text)
        for name, table in data.items():
            if name in ARRAYS:
                if not isinstance(table, list):
                    raise locator.error(locator.key(1, (name,)), f"'{name}' must be an array of tables ([[{name}]])")
                target = self.entrypoints if name == "entrypoint" else getattr(self, _TARGETS[name])
                target.extend(read_spec(ARRAYS[name], item, Where(f"[[{name}]]", locator, locator.table(name, index)))
                              for index, item in enumerate(table))
            elif name in SECTIONS:
                read_spec(SECTIONS[name], table, Where(f"[{name}]", locator, locator.table(name)))
                merged = getattr(self, name)
                for key, value in table.items():
                    merged[key] = list(merged.get(key, [])) + value if isinstance(value, list) else value
            else:
                choices = sorted([*ARRAYS, *SECTIONS])
                raise locator.error(locator.key(1, (name,)), f"unknown key '{name}' in the catalog file{suggestion(name, choices)}")


def _toml_error_line(message: str, text: str) -> int:
    """The line a tomllib error names: ``(at line N, column M)``, or the last for ``(at end of document)``."""
    found = re.search(r"\(at line (\d+), column \d+\)$", message)
    return int(found.group(1)) if found else max(len(text.splitlines()), 1)


_TARGETS = {"layer": "layers", "client": "clients", "billable": "billables", "errors": "error_libraries",
            "exception_set": "exception_sets"}


_SHAPE = re.compile(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\(\s*(\w+(?:\s*,\s*\w+)*)?\s*\)")


def _shape(shape: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """``chat.completions.create(model, messages)``: the attributes and the keywords."""
    found = _SHAPE.fullmatch(shape.strip())
    if found is None:
        raise CatalogError(f"billable shape {shape!r} must read 'attribute.call(keyword, ...)'")
    return tuple(found[1].split(".")), frozenset(k.strip() for k in (found[2] or "").split(",") if k.strip())


def read_catalog_text(path: Path) -> str:
    """The text of a catalog file: a regular file (or a device) of at most MAX_CATALOG_BYTES in UTF-8."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode) and not stat.S_ISCHR(os.stat(path).st_mode):
            raise CatalogError(f"{path}: cannot read catalog file: not a regular file")
        with open(path, "rb") as file:
            data = file.read(MAX_CATALOG_BYTES + 1)
    except OSError as error:
        raise CatalogError(f"{path}: cannot read catalog file: {error}") from None
    if len(data) > MAX_CATALOG_BYTES:
        raise CatalogError(f"{path}: cannot read catalog file: larger than {MAX_CATALOG_BYTES // 1024 // 1024} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CatalogError(f"{path}: cannot read catalog file: not UTF-8 at byte {error.start}") from None


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
    return load_catalog(settings.extend_catalog, settings.billable, settings.non_retryable, settings.entrypoint,
                        settings.infer_billable_shapes)


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
    infer_shapes: bool = True,
) -> Catalog:
    """The shipped catalog, extended with the user's files and config entries."""
    catalog = Catalog()
    for path in catalog_files(extra_files):
        catalog.merge_file(path)
    catalog.entrypoints.extend(entrypoints)
    catalog.billable_patterns = tuple(billable_patterns)
    catalog.extra_deterministic = tuple(non_retryable)
    catalog.infer_shapes = infer_shapes
    catalog.reindex()
    return catalog
