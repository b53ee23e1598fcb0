"""The tests of ``hand_loops._LoopShape.is_retry`` on Python's own tree, which the prefilter
(``analysis/prefilter_loops.py``) builds for a loop's lines alone: they may say yes where
``hand_loops.read`` says no (an iterator is known by the last part of its name only), never the
reverse. Change both together."""

from __future__ import annotations

import ast

_AST_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_AST_TRIES = (ast.Try, getattr(ast, "TryStar", ast.Try))
_AST_EXITS = (ast.Raise, ast.Return, ast.Break)
_AST_NEW_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def may_be_written_in(tree: ast.AST, iterators: frozenset[str]) -> bool:
    """Whether a loop in ``tree`` has the shape ``read`` takes for a retry loop; ``iterators``:
    the last parts of the catalog's loop iterators' names."""
    return any(_may_be_retry(node, iterators) for node in ast.walk(tree) if isinstance(node, _AST_LOOPS))


def _may_be_retry(loop, iterators: frozenset[str]) -> bool:
    tries = [statement for statement in loop.body if isinstance(statement, _AST_TRIES)]
    if not tries or not any(_goes_round(h) for try_ in tries for h in try_.handlers):
        return False  # no handler goes round again
    if not isinstance(loop, ast.While):
        func = loop.iter.func if isinstance(loop.iter, ast.Call) else None
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name not in iterators:
            return False
    if not isinstance(loop, ast.While) and any(
        isinstance(try_.body[-1], ast.If) and (_ast_ends(try_.body[-1]) == (True, True) or (
            not try_.body[-1].orelse and _ast_ends(try_.body[-1].body[-1]) == (True, True)))  # ``_reasks``
        and not _continues(try_.body[:-1])
        for try_ in tries
    ):
        return True  # the try judges the attempt's result (``_LoopShape._judges_result``)
    if any(_continues(try_.body) for try_ in tries):
        return False
    if any(block and isinstance(block[-1], (ast.Break, ast.Return)) for try_ in tries for block in (try_.body, try_.orelse)):
        return True
    if any(isinstance(s, ast.If) and isinstance(s.body[-1], (ast.Break, ast.Return)) for try_ in tries for s in try_.body):
        return True  # a poll (``_polls``)
    after = loop.body[loop.body.index(tries[0]) + 1:]
    return any(isinstance(statement, (ast.Break, ast.Return)) for statement in after)


def _goes_round(handler: ast.ExceptHandler) -> bool:
    """``hand_loop_handlers.goes_round`` on Python's own tree: or a ``continue`` in it."""
    return not isinstance(handler.body[-1], _AST_EXITS) or _continues(handler.body)


def _ast_ends(last: ast.stmt) -> tuple[bool, bool]:
    """``_ends`` on Python's own tree."""
    if isinstance(last, (ast.Break, ast.Return)):
        return True, True
    if isinstance(last, (ast.Raise, ast.Continue)):
        return True, False
    if not isinstance(last, ast.If) or not last.orelse:
        return False, False
    body, orelse = _ast_ends(last.body[-1]), _ast_ends(last.orelse[-1])
    return body[0] and orelse[0], body[1] or orelse[1]


def _continues(statements: list) -> bool:
    """A ``continue`` among the statements, not inside a nested loop, function or class."""
    stack = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Continue):
            return True
        if isinstance(node, _AST_LOOPS + _AST_NEW_SCOPES) or not isinstance(node, (ast.stmt, ast.excepthandler, ast.match_case)):
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            stack.extend(getattr(node, field, ()))
    return False
