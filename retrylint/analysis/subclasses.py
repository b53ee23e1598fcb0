"""Where a method declared in a base class is implemented: a call resolved to a method that is
abstract in its class (``@abstractmethod``, or a stub: only ``...``/``pass``/a docstring/``raise
NotImplementedError``, as a Protocol's are) runs one of the overriding methods of the project's
subclasses of that class.

The subclasses are found without parsing the whole project: a text index of the class
statements of the class's top-level package (or, for a top-level module, of the modules beside
it) names the files whose class statements mention the class's name among their bases; only
those are parsed (in path order, a bounded number, counted in the checked file's allowance of
other modules), and a subclass counts only when its base resolves to the class. The index
depends only on the files on disk (and the editor's buffers), never on what a run checked
before, so findings do not depend on run order."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.word_index import WordIndex

if TYPE_CHECKING:
    from retrylint.analysis.model import ClassInfo, Function
    from retrylint.analysis.project import Project

CLASS_STATEMENT = re.compile(rb"^[ \t]*class[ \t]+\w+[ \t]*\(([^)]*)\)", re.MULTILINE)
WORD = re.compile(rb"[A-Za-z_]\w*")
MAX_SUBCLASS_MODULES = 8  # other modules parsed to find the subclasses of one class
MAX_SUBCLASS_LEVELS = 4  # subclasses of subclasses, so deep
MAX_IMPLEMENTATIONS = 4  # overriding methods followed from one abstract method
ABSTRACT_DECORATORS = {"abc.abstractmethod", "abstractmethod"}


class ClassIndex(WordIndex):
    """For each folder searched: the base-class words of each file's class statements."""

    def words(self, text: bytes) -> frozenset[bytes]:
        if b"class" not in text:
            return frozenset()
        return frozenset(word for match in CLASS_STATEMENT.finditer(text) for word in WORD.findall(match.group(1)))


def is_abstract(function: "Function") -> bool:
    """A method to be implemented by subclasses: ``@abstractmethod``, or a stub body."""
    node = function.node
    if function.cls is None or not isinstance(node, cst.FunctionDef):
        return False
    model = function.scope.model
    outer = function.scope.parent or model.scope
    if any(model.qualify(d.decorator, outer) in ABSTRACT_DECORATORS for d in node.decorators):
        return True
    return is_stub(node)


def is_stub(node: cst.FunctionDef) -> bool:
    """A body of only ``...``/``pass``/a docstring/``raise NotImplementedError``: a placeholder."""
    body = node.body.body
    statements = [small for line in body for small in (line.body if isinstance(line, cst.SimpleStatementLine) else [line])] \
        if isinstance(node.body, cst.IndentedBlock) else list(body)
    return bool(statements) and all(_stub_statement(small) for small in statements)


def _stub_statement(small: cst.CSTNode) -> bool:
    if isinstance(small, cst.Pass):
        return True
    if isinstance(small, cst.Expr):
        return isinstance(small.value, (cst.Ellipsis, cst.SimpleString, cst.ConcatenatedString))
    if isinstance(small, cst.Raise):
        exc = small.exc.func if isinstance(small.exc, cst.Call) else small.exc
        return isinstance(exc, cst.Name) and exc.value == "NotImplementedError"
    return False


class Implementations:
    """The overriding methods of abstract methods, for the reach of one checked file (it reads
    modules in that file's allowance, so nothing here outlives the file)."""

    def __init__(self, project: "Project | None"):
        self.project = project
        self._subclasses: dict[int, list[ClassInfo]] = {}

    def of(self, method: "Function") -> list[tuple[Function, ClassInfo]]:
        """Each implementation of ``method`` with its class, when ``method`` is abstract."""
        cls = method.cls
        if cls is None or not is_abstract(method):
            return []
        found: list[tuple[Function, ClassInfo]] = []
        level, seen = [cls], {id(cls)}
        for _ in range(MAX_SUBCLASS_LEVELS):
            level = [sub for info in level for sub in self.direct(info) if id(sub) not in seen]
            seen.update(id(sub) for sub in level)
            unimplemented = []  # a subclass's own subclasses are searched only while it leaves the method abstract
            for sub in level:
                override = sub.methods.get(method.name)
                if override is None or is_abstract(override):
                    unimplemented.append(sub)
                elif len(found) < MAX_IMPLEMENTATIONS:
                    found.append((override, sub))
            level = unimplemented
        return found

    def direct(self, cls: "ClassInfo") -> list[ClassInfo]:
        if id(cls) not in self._subclasses:
            models = [cls.owner, *self._modules_naming(cls)]
            self._subclasses[id(cls)] = [
                info for model in models for info in model.classes if info is not cls and _derives(info, cls)
            ]
        return self._subclasses[id(cls)]

    def _modules_naming(self, cls: "ClassInfo") -> list:
        """The other modules of the class's package whose class statements name it (parsed)."""
        owner, project = cls.owner, self.project
        if project is None or owner.root is None:
            return []
        top = owner.module_name.split(".")[0]
        folder = owner.root / top
        recursive = (folder / "__init__.py").is_file() or ("." in owner.module_name and folder.is_dir())
        own = project.absolute(owner.path)
        files = [path for path in project.class_index.files_with(folder if recursive else owner.root, recursive, cls.name)
                 if path != own][:MAX_SUBCLASS_MODULES]
        models = []
        for path in files:
            name, _, root = project.module_name_for(path)
            model = project.module(name, root)
            if model is not None and model is not owner:
                models.append(model)
        return models


def _derives(info: "ClassInfo", cls: "ClassInfo") -> bool:
    """``info`` names ``cls`` among its bases (as imported from its module, or re-exported)."""
    for base in info.bases:
        if base == cls.qualname:
            return True
        if base is not None and base.rpartition(".")[2] == cls.name:
            found = info.owner.resolve_class(base)
            if found is not None and found.qualname == cls.qualname and found.owner.path == cls.owner.path:
                return True
    return False
