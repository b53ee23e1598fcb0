"""The project around the checked files: where its modules live, and their models, parsed
on demand when reachability needs a function, a class or a re-export from another module."""

from __future__ import annotations

import re
from collections import OrderedDict
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from retrylint.analysis.model.caller_args import CallerIndex
from retrylint.analysis.subclasses import ClassIndex
from retrylint.catalog import Catalog
from retrylint.sources import SourceError, python_parses, read_source

if TYPE_CHECKING:
    from retrylint.analysis.layers import Layer
    from retrylint.analysis.model import Binding, ClassInfo, Function, ModuleModel
    from retrylint.analysis.positions import Rendered
    from retrylint.analysis.reparse import Reparser

# Module models kept in memory, the least recently used dropped first: at most this many, of at
# most this many characters of source in all (a model takes some 30 bytes per character of its
# source), so a run over a growing tree keeps its memory flat.
MAX_CACHED_MODULES = 128
MAX_CACHED_CHARACTERS = 2_000_000
MAX_RESOLVE_DEPTH = 12
# Other modules the analysis of one checked file may read: at most this many, of at most this
# many characters in all (half the models kept, so none is dropped and parsed again while the
# file is checked: litellm's modules reach 1 MB, and a cache smaller than what one file reads
# parsed them again and again, over 6 minutes of CPU for 4 files). Each distinct module counts,
# whether its model is in memory already or not, so a file's findings never depend on what else
# a run checked or in which order. A paid call lies a few calls from its retry layer; following
# a layer into every module of a large library (litellm's ``completion``) took minutes. The count
# bounds a tree of many small modules (a chain across 500 of them is still followed).
MAX_MODULES_PER_FILE = 1_000
MAX_CHARACTERS_PER_FILE = MAX_CACHED_CHARACTERS // 2
# A layer's own names (the function a retrying object is handed, its retry predicate) are read
# from a reserve of their own, so the modules the file's other calls read first cannot leave them
# unread (litellm main.py: its provider handlers spent the allowance before
# completion_with_retries' predicate and responses_with_retries' handed ``responses``).
MAX_CHARACTERS_FOR_LAYER_NAMES = MAX_CHARACTERS_PER_FILE // 4


def layer_names(model):
    """The context a layer's own names are read in (see MAX_CHARACTERS_FOR_LAYER_NAMES)."""
    return model.project.reading_layer_names() if model.project is not None else nullcontext()


class Project:
    """Maps dotted module names to files under the import roots, and loads their models."""

    def __init__(self, catalog: Catalog, cwd: Path | None = None):
        self.catalog = catalog
        self.cwd = (cwd or Path.cwd()).resolve()
        self.roots: list[Path] = []
        self._models: OrderedDict[Path, ModuleModel | None] = OrderedDict()
        self._cached_characters = 0  # the source length of the models kept
        self._layers: dict[int, list[Layer]] = {}
        # (module, near) -> (the file and root it is found in, or None; the paths tried before)
        self._files: dict[tuple[str, Path | None], tuple[tuple[Path, Path] | None, list[Path]]] = {}
        self._touched: set[Path] | None = None
        self._read_for_file: dict[Path, int] = {}  # the modules read for the file being checked, by size
        self.refused = False  # a module was left unread for the file being checked (its allowance was spent)
        self._read_for_names: dict[Path, int] = {}  # the modules read from the layer names' reserve
        self._naming = 0  # inside reading_layer_names()
        # Texts that stand in for files on disk (an editor's unsaved buffers), by resolved path.
        self.overlay: dict[Path, str] = {}
        # Set by the language server: a changed module is parsed again statement by statement.
        self.reparser: Reparser | None = None
        self.class_index = ClassIndex(self)  # which files' class statements name which bases
        self.callers = CallerIndex(self)  # which files call which names; parameters typed from their callers

    # ----- layout ---------------------------------------------------------------------
    def add_root(self, folder: Path) -> None:
        """A folder searched for every module, after the importing module's own root."""
        folder = folder.resolve()
        if folder.is_dir() and folder not in self.roots:
            self.roots.append(folder)
            self._files.clear()  # a new root can hold modules not found before

    def add_config_root(self, folder: Path | None) -> None:
        """A project folder (where the config lives): it and its ``src/`` hold modules."""
        base = (folder or self.cwd).resolve()
        self.add_root(base / "src")
        self.add_root(base)

    def module_name_for(self, path: Path, source: str | None = None) -> tuple[str, bool, Path]:
        """The dotted name of the module in ``path``, whether it is a package's ``__init__``,
        and the import root it is named from: the first folder above it that is not a
        package, or a ``src/`` root above that (namespace packages), or a project folder above
        it whose first folder the module imports from absolutely (``from llama_index.llms.openai.
        utils import ...`` in llama_index/llms/openai/base.py, where llama_index/ and llms/ are
        namespace packages: named from llama_index/llms it would be ``openai.base``, and ``import
        openai`` its own package). That root is searched only for this module's imports
        (``near``): another file's root never changes what a file's imports resolve to, so
        findings do not depend on which files a run checks, in which order, or in how many
        processes."""
        path = self.absolute(path)
        package_root = path.parent
        while (package_root / "__init__.py").is_file() and package_root.parent != package_root:
            package_root = package_root.parent
        base = package_root
        for root in self.roots:
            if root.name == "src" and root in package_root.parents:
                base = root
                break
        else:
            base = self._namespace_root(path, package_root, source) or base
        parts = list(path.relative_to(base).with_suffix("").parts)
        is_package = bool(parts) and parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        return ".".join(parts) or "__module__", is_package, base

    def _namespace_root(self, path: Path, package_root: Path, source: str | None) -> Path | None:
        """A project folder above ``package_root`` from which the module imports its own
        namespace package absolutely (``from llama_index.`` under it holds llama_index/)."""
        for root in self.roots:
            if root not in package_root.parents:
                continue
            if source is None:
                try:
                    source = self.overlay.get(path) or read_source(path).text
                except SourceError:
                    return None
            top = re.escape(path.relative_to(root).parts[0])
            if re.search(rf"^[ \t]*(?:from|import)[ \t]+{top}\.", source, re.MULTILINE):
                return root
        return None

    def absolute(self, path: Path | str) -> Path:
        path = Path(path)
        return (path if path.is_absolute() else self.cwd / path).resolve()

    def model_path(self, path: Path) -> str:
        """The path a module model is named by: relative to the project's working folder when under it."""
        try:
            return path.relative_to(self.cwd).as_posix()
        except ValueError:
            return path.as_posix()

    def locate(self, module: str, near: Path | None = None) -> tuple[Path, Path] | None:
        """The file of a module and the root it is found under, looking first in ``near``
        (the importing module's own root, as Python's path puts a script's folder first)."""
        key = (module, near)
        if key not in self._files:
            self._files[key] = self._find_file(module, near)
        found, missing = self._files[key]
        if self._touched is not None:  # what a file's findings depend on: the file found, and
            self._touched.update(missing)  # the ones that would be found instead if they appeared
            if found is not None:
                self._touched.add(found[0])
        return found

    def _find_file(self, module: str, near: Path | None) -> tuple[tuple[Path, Path] | None, list[Path]]:
        """Where ``module`` is found, and the paths tried before (absent, or not files)."""
        relative = Path(*module.split("."))
        roots = ([near] if near is not None else []) + [root for root in self.roots if root != near]
        missing = []
        for root in roots:
            for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
                if candidate.is_file():
                    return (candidate, root), missing
                missing.append(candidate)
        return None, missing

    # ----- models ---------------------------------------------------------------------
    def register(self, model: "ModuleModel", layers: list["Layer"]) -> None:
        """The model of a file being checked: other modules resolve into it, not a copy."""
        self._remember(self.absolute(model.path), model)
        self._layers[id(model)] = layers

    @contextmanager
    def keeping_model(self, path: Path | str) -> Iterator[None]:
        """The model of ``path`` known before this block is known again after it, whatever
        the block registered for it (a fix tried in memory): other modules never resolve into
        a text that is not the file's."""
        key = self.absolute(path)
        before = self._models.get(key)
        layers = self._layers.get(id(before)) if before is not None else None
        known = key in self._models
        try:
            yield
        finally:
            self._drop(key)
            if known:
                self._remember(key, before)
                if layers is not None:
                    self._layers[id(before)] = layers

    def forget(self, path: Path) -> None:
        """Drop what is known of a file that changed (its model, and where modules are found,
        in case it was created or deleted), so that the next check reads it again."""
        self._drop(self.absolute(path))
        self._files.clear()
        self.class_index.forget(self.absolute(path))
        self.callers.forget(self.absolute(path))

    @contextmanager
    def tracking(self) -> Iterator[set[Path]]:
        """Collect the files of other modules read while this block runs (the dependencies
        of one file's findings, for the cache)."""
        self._touched = set()
        try:
            yield self._touched
        finally:
            self._touched = None

    def depends_on(self, key: Path) -> None:
        """Findings being made depend on ``key`` too (a folder's Python files: folders.folder_key)."""
        if self._touched is not None:
            self._touched.add(key)

    def start_file(self) -> None:
        """A new file is being checked: its allowance of other modules starts afresh."""
        self._read_for_file = {}
        self._read_for_names = {}
        self.refused = False
        self.callers.start_file()

    @contextmanager
    def reading_layer_names(self) -> Iterator[None]:
        """Read a layer's own names: modules come from MAX_CHARACTERS_FOR_LAYER_NAMES first."""
        self._naming += 1
        try:
            yield
        finally:
            self._naming -= 1

    def module(self, name: str, near: Path | None = None) -> "ModuleModel | None":
        """The model of a module, or None when it is not found, does not parse, or the file
        being checked has read its allowance of other modules (MAX_MODULES_PER_FILE)."""
        found = self.locate(name, near)
        if found is None:
            return None
        path, root = found
        if path not in self._read_for_file and not self._allow_named(path) and not self._allow(path):
            return None
        if path in self._models:
            self._models.move_to_end(path)
            return self._models[path]
        model = self._load(name, path, root)
        self._remember(path, model)
        return model

    def _allow_named(self, path: Path) -> bool:
        """Whether a layer's own name may read ``path`` from the reserve (and count it if so)."""
        if not self._naming:
            return False
        if path in self._read_for_names:
            return True
        size = len(self.overlay[path]) if path in self.overlay else _file_size(path)
        if sum(self._read_for_names.values()) + size > MAX_CHARACTERS_FOR_LAYER_NAMES:
            return False
        self._read_for_names[path] = size
        return True

    def _allow(self, path: Path) -> bool:
        """Whether the file being checked may read one more module (and count it if so)."""
        size = len(self.overlay[path]) if path in self.overlay else _file_size(path)
        if (len(self._read_for_file) >= MAX_MODULES_PER_FILE
                or sum(self._read_for_file.values()) + size > MAX_CHARACTERS_PER_FILE):
            self.refused = True
            return False
        self._read_for_file[path] = size
        return True

    def is_loaded(self, module: str, near: Path | None = None) -> bool:
        """Whether the module's model is in memory already (finding it costs no parse)."""
        found = self.locate(module, near)
        return found is not None and found[0] in self._models

    def _remember(self, path: Path, model: "ModuleModel | None") -> None:
        self._drop(path)
        self._models[path] = model
        self._cached_characters += len(model.source) if model is not None else 0
        while len(self._models) > 1 and (
            len(self._models) > MAX_CACHED_MODULES or self._cached_characters > MAX_CACHED_CHARACTERS
        ):
            self._drop(next(iter(self._models)))

    def _drop(self, path: Path) -> None:
        model = self._models.pop(path, None)
        if model is not None:
            self._cached_characters -= len(model.source)
            self._layers.pop(id(model), None)

    def _load(self, name: str, path: Path, root: Path) -> "ModuleModel | None":
        from retrylint.analysis.model import ModuleModel

        try:
            source = self.overlay[path] if path in self.overlay else read_source(path).text
            if not python_parses(source):
                return None
            is_package = path.name == "__init__.py"
            tree, rendered = self.parsed(source, path)
            return ModuleModel(source, self.model_path(path), self.catalog, name, is_package, self, root, tree, rendered)
        except (SourceError, cst.ParserSyntaxError, RecursionError, ValueError):
            return None

    def parsed(self, source: str, path: Path | str) -> "tuple[cst.Module | None, dict[cst.CSTNode, Rendered] | None]":
        """A module's tree and its statements' renderings from the reparser, when one is set
        (else None, None: the model parses the source whole)."""
        if self.reparser is None:
            return None, None
        return self.reparser.parse(source, str(self.absolute(path)))

    def parsed_uncompiled(self, source: str, path: Path | str) -> "tuple[cst.Module, dict[cst.CSTNode, Rendered]] | None":
        """As ``parsed``, for a source Python has not compiled yet: None when there is no
        reparser or it cannot vouch that the source compiles (the caller compiles it whole)."""
        if self.reparser is None:
            return None
        return self.reparser.parse(source, str(self.absolute(path)), compiled=False)

    def _may_bind(self, module: str, name: str, near: Path | None) -> bool:
        """A cheap look at a module's text before parsing it: does ``name`` appear where a
        module-level assignment or an import would put it?"""
        found = self.locate(module, near)
        if found is None:
            return False
        path, _ = found
        if path in self._models:
            return True
        try:
            text = self.overlay[path] if path in self.overlay else path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
        pattern = rf"^(?:{re.escape(name)}\s*(?::[^=\n]*)?=[^=]|.*\bimport\b.*\b{re.escape(name)}\b|\s+{re.escape(name)}\s*,?\s*$)"
        return re.search(pattern, text, re.MULTILINE) is not None

    def layers_of(self, model: "ModuleModel") -> list["Layer"]:
        from retrylint.analysis.layers import LayerFinder

        if id(model) not in self._layers:
            self._layers[id(model)] = LayerFinder(model).find()
        return self._layers[id(model)]

    # ----- names ----------------------------------------------------------------------
    def exported_binding(self, qualname: str, near: Path | None = None) -> "tuple[Binding, ModuleModel] | None":
        """The module-level variable (or re-import) a qualified name refers to in a project
        module, e.g. ``app.llm.client`` bound to ``OpenAI()`` in ``app/llm.py``."""
        module, _, name = qualname.rpartition(".")
        if not module or not self._may_bind(module, name, near):
            return None
        model = self.module(module, near)
        if model is None:
            return None
        binding = model.scope.names.get(name)
        if binding is None or binding.function is not None or binding.cls is not None:
            return None
        if binding.imported or (binding.value is not None and binding.scope is not None):
            return binding, model
        return None

    def resolve(self, qualname: str, depth: int = 0, near: Path | None = None) -> "Function | ClassInfo | None":
        """The function or class a qualified name refers to, following re-exports."""
        if depth > MAX_RESOLVE_DEPTH:
            return None
        parts = qualname.split(".")
        for split in range(len(parts) - 1, 0, -1):
            model = self.module(".".join(parts[:split]), near)
            if model is None:
                continue
            return model.resolve_in_module(parts[split:], depth + 1)
        return None


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
