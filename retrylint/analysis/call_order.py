"""Where a call sits in its unit (inside a block, in a loop) and what can run after it once it
succeeded: what RTL003 needs to tell a paid call that may be re-billed."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.model import EXCEPT, IF, LOOP, TRY, CallSite, Function, descendants

FOLLOWERS_KEPT = 4  # messages name three calls that can fail after a paid one, and whether there are more
Follower = tuple[str, "str | None"]  # a call that can fail after a paid one: its name in messages, its qualified name


def inside(path, root) -> bool:
    return any(entry[0] == id(root) and entry[2] == 0 for entry in path)


def hands_out_generator(function: Function, site: CallSite, target: str | None) -> bool:
    """``return gen()``: a generator not started, whose code runs after the unit returned."""
    if target is None or id(site.node) not in function.returned_calls:
        return False
    callee = function.scope.model.resolve_function(target)
    return callee is not None and callee.is_generator


def in_loop(path, root, ladders: set[int] = frozenset()) -> bool:
    """The call at ``path`` runs in a loop under ``root``: not one of the ``ladders`` (loops that go
    round only to send the next spelling of a refused request: one success ends them)."""
    start = 0
    if root is not None:
        start = next((i + 1 for i, entry in enumerate(path) if entry[0] == id(root)), len(path))
    return any(kind == LOOP and branch == 0 and statement not in ladders for statement, kind, branch in path[start:])


def raised_instead(function: Function, path) -> list[cst.BaseExpression] | None:
    """What escapes a ``try`` around the call at ``path`` in ``function`` when the call fails,
    if some ``try`` there has a handler catching every exception and each of its handlers ends
    by raising a new exception and raises nothing else (``except Exception as e: raise
    Exception(f"...{e}")``): the classes raised (calls or names). None when no ``try`` does."""
    for statement, kind, branch in path:
        if kind != TRY or branch != 0:
            continue
        handlers = [h.node for h in function.handlers if len(h.path) > 1 and h.path[-2] == (statement, TRY, 1)]
        if not any(catches_all(function, h) for h in handlers):
            continue
        raised = [_new_error(h) for h in handlers]
        if all(error is not None for error in raised):
            return raised
    return None


def catches_all(function: Function, handler: cst.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    name = function.scope.model.qualify(handler.type, function.scope)
    return name in ("builtins.Exception", "builtins.BaseException")


def _new_error(handler: cst.ExceptHandler) -> cst.BaseExpression | None:
    """The exception a handler raises in place of the one it caught: its last statement is
    ``raise X(...)`` and it has no other ``raise``."""
    body = handler.body.body
    last = body[-1] if body else None
    if not isinstance(last, cst.SimpleStatementLine) or not isinstance(last.body[-1], cst.Raise):
        return None
    raise_ = last.body[-1]
    if not isinstance(raise_.exc, cst.Call) or sum(isinstance(n, cst.Raise) for n in descendants(handler)) != 1:
        return None
    return raise_.exc.func


def may_raise(model, target: str | None, classes: set[str], depth: int) -> bool:
    """Whether a call of ``target`` may raise one of the project's exception ``classes``: it is a
    project function that raises one (or one of their project subclasses), or calls a project
    function that may, ``depth`` calls deep; a call retrylint cannot name may raise anything.
    Making a project class raises none; neither does a library, which cannot know the project's
    classes."""
    if target is None:
        return True
    function = model.resolve_function(target)
    if function is None:
        return False
    if depth == 0:
        return True
    scope = function.scope
    for site in function.calls:
        name = scope.model.qualify(site.node.func, scope)
        if name is None:
            if _plain_method(scope.model, site.node.func):
                continue
            return True
        if _subclass_of(scope.model, name, classes) or may_raise(scope.model, name, classes, depth - 1):
            return True
    return any(_subclass_of(scope.model, scope.model.qualify(raised.node, scope), classes) for raised in function.raised_names)


def translated_on_the_way(function: Function, classes: set[str], budget: int) -> bool:
    """Whether ``function``, or a project function it calls however deep, raises one of the
    project's exception ``classes`` (or a project subclass) inside an ``except`` clause: the only
    places that can turn a paid call's error into one of them, since a reach runs through named
    calls only. More than ``budget`` functions to read, or a module left unread: it may."""
    queue, seen = [function], {id(function)}
    while queue:
        function = queue.pop(0)
        scope = function.scope
        model = scope.model
        for raised in function.raised_names:
            if _translates(function, raised.path) and _subclass_of(model, model.qualify(raised.node, scope), classes):
                return True
        for site in function.calls:
            name = model.qualify(site.node.func, scope)
            if name is None:
                continue
            if _translates(function, site.path) and _subclass_of(model, name, classes):
                return True
            callee = model.resolve_function(name)
            if callee is not None and id(callee) not in seen:
                if len(seen) >= budget:
                    return True
                seen.add(id(callee))
                queue.append(callee)
    project = function.scope.model.project
    return project is not None and project.refused  # a module left unread may hold one


def _translates(function: Function, path) -> bool:
    """Raised in an ``except`` clause, for every error it catches: not only under an ``if`` that
    tests the error's message (graphiti's ``if 'refused to respond' in str(e): raise
    RefusalError(...)``), which turns no SDK class as a whole into the raised one."""
    last = max((i for i, (_, kind, _) in enumerate(path) if kind == EXCEPT), default=None)
    if last is None:
        return False
    tests = {statement for statement, kind, _ in path[last + 1:] if kind == IF}
    if not tests:
        return True
    return not any(isinstance(node, cst.If) and id(node) in tests and _message_test(node.test)
                   for node in descendants(function.node))


def _message_test(test) -> bool:
    """``'text' in str(error)`` (also ``.lower()``'d): every way through the test reads a message."""
    if isinstance(test, cst.BooleanOperation):
        parts = (_message_test(test.left), _message_test(test.right))
        return any(parts) if isinstance(test.operator, cst.And) else all(parts)
    return isinstance(test, cst.Comparison) and isinstance(test.left, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)) \
        and all(isinstance(target.operator, (cst.In, cst.NotIn)) for target in test.comparisons)


def _plain_method(model, func) -> bool:
    """A method of a literal (``", ".join(...)``) or one the catalog holds harmless (``items``)."""
    return isinstance(func, cst.Attribute) and (
        isinstance(func.value, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString, cst.List, cst.Dict, cst.Tuple))
        or func.attr.value in model.catalog.infallible_methods)


def _subclass_of(model, name: str | None, classes: set[str], depth: int = 4) -> bool:
    if name is None or name in classes:
        return name is not None
    cls = model.resolve_class(name)
    if cls is None or depth == 0:
        return False
    return any(_subclass_of(cls.owner, base, classes, depth - 1) if base is not None else _unknown_base(cls, index)
               for index, base in enumerate(cls.bases))


def _unknown_base(cls, index: int) -> bool:
    """A base retrylint cannot name may be anything, but a generic's (``Generic[T]``) is no error class."""
    arguments = [arg for arg in cls.node.bases if arg.keyword is None]
    return not (index < len(arguments) and isinstance(arguments[index].value, cst.Subscript))


def exclusive(a, b) -> bool:
    """Two paths that lie in different branches of one ``if``: at most one of them runs."""
    branches = {entry[0]: entry[2] for entry in a if entry[1] == IF}
    return any(entry[1] == IF and entry[0] in branches and branches[entry[0]] != entry[2] for entry in b)


def branches(path) -> tuple:
    """The ``if`` branches a path lies in: what ``exclusive`` compares."""
    return tuple(entry for entry in path if entry[1] == IF)


def distinct(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def kept_followers(followers: list[Follower]) -> list[Follower]:
    """The distinct followers in order, with at most FOLLOWERS_KEPT names for each package the
    calls come from: RTL003 keeps those of the packages a layer retries on, and still sees
    their first names and whether there are more."""
    names_by_package: dict[str | None, set[str]] = {}
    kept = []
    for follower in dict.fromkeys(followers):
        name, target = follower
        names = names_by_package.setdefault(target.partition(".")[0] if target else None, set())
        if name in names or len(names) < FOLLOWERS_KEPT:
            names.add(name)
            kept.append(follower)
    return kept


def _own_handlers(root: cst.CSTNode | None) -> set[int]:
    """The ``except`` clauses of the ``try`` statements a hand-written retry loop holds directly."""
    if not isinstance(root, (cst.For, cst.While)):
        return set()
    return {id(handler) for statement in root.body.body if isinstance(statement, (cst.Try, cst.TryStar))
            for handler in statement.handlers}


class LaterCalls:
    """What can run after each site of a unit once it succeeded: the distinct billable calls
    and the first few distinct calls that can fail, skipping the other branches of each ``if``
    around it. Built in one backward pass, so a unit of n calls costs O(n), not O(n²)."""

    def __init__(self, sites: list[CallSite], names: list[tuple[Follower | None, bool]], root: cst.CSTNode | None):
        """``names``: for each site, how it is named after another call (None: it cannot fail,
        or runs only when the program is interrupted) and whether it is billable."""
        self.sites = sites
        self.root = root
        count = len(sites)
        handled = _own_handlers(root)  # a failure there leaves the loop: no follower of its layer
        in_handler = {position for position, site in enumerate(sites)
                      if handled and any(kind == EXCEPT and statement in handled for statement, kind, _ in site.path)}
        # For each position: (name, first position) of the distinct names from there on.
        self.billable: list[list[tuple[str, int]]] = [[] for _ in range(count + 1)]
        self.followers: list[list[tuple[Follower, int]]] = [[] for _ in range(count + 1)]
        for position in range(count - 1, -1, -1):
            name, is_billable = names[position]
            billable, followers = self.billable[position + 1], self.followers[position + 1]
            if name is not None and is_billable:
                billable = [(name[0], position), *(e for e in billable if e[0] != name[0])]
            elif name is not None and position not in in_handler:
                followers = [(name, position), *(e for e in followers if e[0] != name)]
                kept = set(kept_followers([follower for follower, _ in followers]))
                followers = [e for e in followers if e[0] in kept]
            self.billable[position], self.followers[position] = billable, followers
        # For each ``if`` branch and each ``if``: the last position inside it.
        self.branch_end: dict[tuple[int, int], int] = {}
        self.if_end: dict[int, int] = {}
        for position, site in enumerate(sites):
            for statement, kind, branch in site.path:
                if kind == IF:
                    self.branch_end[(statement, branch)] = position
                    self.if_end[statement] = position

    def after(self, position: int) -> tuple[list[str], list[Follower]]:
        """(billable names, follower names) that can run after the site at ``position``."""
        site = self.sites[position]
        if site.in_return and not in_loop(site.path, self.root):
            return [], []
        skipped = sorted(
            (self.branch_end[(statement, branch)] + 1, self.if_end[statement])
            for statement, kind, branch in site.path
            if kind == IF and self.if_end[statement] > self.branch_end[(statement, branch)]
        )
        billable: list[str] = []
        followers: list[Follower] = []
        start = position + 1
        for skip_from, skip_to in [*skipped, (len(self.sites), len(self.sites))]:
            if skip_from > start:
                end = skip_from - 1
                billable += [name for name, at in self.billable[start] if at <= end]
                followers += [name for name, at in self.followers[start] if at <= end]
            start = max(start, skip_to + 1)
        return distinct(billable), kept_followers(followers)


def raised_after(function: Function, call: cst.Call, classes: set[str]) -> list[str]:
    """The ``classes`` that ``function`` builds (to raise: ``raise ModelRetry("empty")``) after
    ``call``, one of its own call sites, outside any branch that excludes it: once raised, the paid
    reply it checks is thrown away."""
    model, scope = function.scope.model, function.scope
    at = next((site for site in function.calls if site.node is call), None)
    if at is None:
        return []
    found = []
    for site in function.calls:
        if site.index <= at.index or exclusive(at.path, site.path):
            continue
        name = model.catalog.canonical_exception(model.qualify(site.node.func, scope) or "")
        if name in classes:
            found.append(name.rpartition(".")[2])
    return distinct(found)
