"""The project around the checked files: where its modules live, and their models, parsed
on demand when reachability needs a function, a class or a re-export from another module."""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

import libcst as cst

from retrylint.catalog import Catalog
from retrylint.sources import SourceError, read_source

if TYPE_CHECKING:
    from retrylint.layers import Layer
    from retrylint.model import Binding, ClassInfo, Function, ModuleModel

MAX_CACHED_MODULES = 512
MAX_RESOLVE_DEPTH = 12


class Project:
    """Maps dotted module names to files under the import roots, and loads their models."""

    def __init__(self, catalog: Catalog, cwd: Path | None = None):
        self.catalog = catalog
        self.cwd = (cwd or Path.cwd()).resolve()
        self.roots: list[Path] = []
        self._models: OrderedDict[str, ModuleModel | None] = OrderedDict()
        self._layers: dict[int, list[Layer]] = {}
        self._files: dict[str, Path | None] = {}

    # ----- layout ---------------------------------------------------------------------
    def add_root(self, folder: Path) -> None:
        folder = folder.resolve()
        if folder.is_dir() and folder not in self.roots:
            self.roots.append(folder)
            self._files.clear()  # a new root can hold modules not found before

    def add_config_root(self, folder: Path | None) -> None:
        """A project folder (where the config lives): it and its ``src/`` hold modules."""
        base = (folder or self.cwd).resolve()
        self.add_root(base / "src")
        self.add_root(base)

    def module_name_for(self, path: Path) -> tuple[str, bool]:
        """The dotted name of the module in ``path`` and whether it is a package's
        ``__init__``: named from the first folder above it that is not a package, or from a
        ``src/`` root above that (namespace packages)."""
        path = self.absolute(path)
        package_root = path.parent
        while (package_root / "__init__.py").is_file() and package_root.parent != package_root:
            package_root = package_root.parent
        self.add_root(package_root)
        base = package_root
        for root in self.roots:
            if root.name == "src" and root in package_root.parents:
                base = root
                break
        parts = list(path.relative_to(base).with_suffix("").parts)
        is_package = bool(parts) and parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        return ".".join(parts) or "__module__", is_package

    def absolute(self, path: Path | str) -> Path:
        path = Path(path)
        return (path if path.is_absolute() else self.cwd / path).resolve()

    def display_path(self, path: Path) -> str:
        try:
            return path.relative_to(self.cwd).as_posix()
        except ValueError:
            return path.as_posix()

    def file_for(self, module: str) -> Path | None:
        if module not in self._files:
            self._files[module] = self._find_file(module)
        return self._files[module]

    def _find_file(self, module: str) -> Path | None:
        relative = Path(*module.split("."))
        for root in self.roots:
            for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
                if candidate.is_file():
                    return candidate
        return None

    # ----- models ---------------------------------------------------------------------
    def register(self, model: "ModuleModel", layers: list["Layer"]) -> None:
        """The model of a file being checked: other modules resolve into it, not a copy."""
        self._remember(model.module_name, model)
        self._layers[id(model)] = layers

    def module(self, name: str) -> "ModuleModel | None":
        if name in self._models:
            self._models.move_to_end(name)
            return self._models[name]
        model = self._load(name)
        self._remember(name, model)
        return model

    def _remember(self, name: str, model: "ModuleModel | None") -> None:
        self._models[name] = model
        self._models.move_to_end(name)
        while len(self._models) > MAX_CACHED_MODULES:
            _, evicted = self._models.popitem(last=False)
            if evicted is not None:
                self._layers.pop(id(evicted), None)

    def _load(self, name: str) -> "ModuleModel | None":
        from retrylint.model import ModuleModel

        path = self.file_for(name)
        if path is None:
            return None
        try:
            source = read_source(path).text
            is_package = path.name == "__init__.py"
            return ModuleModel(source, self.display_path(path), self.catalog, name, is_package, self)
        except (SourceError, cst.ParserSyntaxError, RecursionError, ValueError):
            return None

    def _may_bind(self, module: str, name: str) -> bool:
        """A cheap look at a module's text before parsing it: does ``name`` appear where a
        module-level assignment or an import would put it?"""
        if module in self._models:
            return True
        path = self.file_for(module)
        if path is None:
            return False
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
        pattern = rf"^(?:{re.escape(name)}\s*(?::[^=\n]*)?=[^=]|.*\bimport\b.*\b{re.escape(name)}\b|\s+{re.escape(name)}\s*,?\s*$)"
        return re.search(pattern, text, re.MULTILINE) is not None

    def layers_of(self, model: "ModuleModel") -> list["Layer"]:
        from retrylint.layers import LayerFinder

        if id(model) not in self._layers:
            self._layers[id(model)] = LayerFinder(model).find()
        return self._layers[id(model)]

    # ----- names ----------------------------------------------------------------------
    def exported_binding(self, qualname: str) -> "tuple[Binding, ModuleModel] | None":
        """The module-level variable (or re-import) a qualified name refers to in a project
        module, e.g. ``app.llm.client`` bound to ``OpenAI()`` in ``app/llm.py``."""
        module, _, name = qualname.rpartition(".")
        if not module or not self._may_bind(module, name):
            return None
        model = self.module(module)
        if model is None:
            return None
        binding = model.scope.names.get(name)
        if binding is None or binding.function is not None or binding.cls is not None:
            return None
        if binding.imported or (binding.value is not None and binding.scope is not None):
            return binding, model
        return None

    def resolve(self, qualname: str, depth: int = 0) -> "Function | ClassInfo | None":
        """The function or class a qualified name refers to, following re-exports."""
        if depth > MAX_RESOLVE_DEPTH:
            return None
        parts = qualname.split(".")
        for split in range(len(parts) - 1, 0, -1):
            model = self.module(".".join(parts[:split]))
            if model is None:
                continue
            return model.resolve_in_module(parts[split:], depth + 1)
        return None
