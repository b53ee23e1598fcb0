"""Hand-written retry loops: a ``for``/``while`` loop around a ``try`` whose ``except`` goes
round again, and that leaves once the work succeeds. Not a catalog form: every loop no
retrying object claimed is read here. Whether it is bounded and whether it waits come from its
shape (a counting ``range``, an exit test on a counter, a ``sleep`` call, a timeout context);
which iterators count or run forever, which calls wait, which words say retry and which contexts
time out is catalog data (``[loops]`` in rules/retry_libraries.toml)."""

from __future__ import annotations

import fnmatch

import libcst as cst

from retrylint.analysis.known_values import counted, known
from retrylint.analysis.layers.layer import Layer, Policy, last_statement
from retrylint.analysis.layers.readers import hand_loop_ladders as ladders, site_arguments
from retrylint.analysis.layers.readers.hand_loop_handlers import (
    EXITS as _EXITS, admits_transient_messages, caught, classifies, continue_guards, goes_round, mentions,
)
from retrylint.analysis.layers.readers.handler_helpers import classified_by_helper, waits_in_helper
from retrylint.analysis.layers.readers.site_arguments import SiteArguments
from retrylint.analysis.model import Function, ModuleModel, descendants


def read(finder, function: Function, loop: cst.For | cst.While, site: SiteArguments | None = None) -> Layer | None:
    """The loop's layer; ``site``: what a decoration gives the factory whose wrapper holds it."""
    loop_info = _LoopShape(finder.model, function, loop, site)
    if not loop_info.is_retry():
        return None
    retrying = loop_info.retrying_handlers
    walking = ladders.walking(function, loop, loop_info.tries, retrying)  # each goes round only after a step
    walks = bool(retrying) and len(walking) == len(retrying)
    policy = Policy(capped=loop_info.capped() or walks, attempts=loop_info.attempts(), deadline=False)
    policy.by_default = loop_info.by_default and policy.attempts is not None
    policy.retry_all = any(h.type is None for h in retrying)
    walked = []
    for handler in retrying:
        if handler.type is not None:
            refs = caught(finder, handler, loop_info.earlier(handler), function.scope, site)
            policy.retry_on.extend(refs)
            walked.extend(refs if any(handler is w for w in walking) else ())
    for handler in loop_info.stopping_handlers:
        if handler.type is not None and not loop_info.dead(handler, finder):
            policy.never_retry.extend(caught(finder, handler, [], function.scope, site))
    policy.classifier = loop_info.classifies()
    policy.waits = loop_info.sleeps()
    layer = Layer("loop", "hand-written", "hand-written retry loop", loop, function, loop, policy,
                  speculative=not loop_info.shows_retry_intent(), changes_input=walks or loop_info.changes_input(),
                  walks=walks, walked=walked)
    if loop_info.site_bound and not policy.capped:  # the decoration, not the loop, leaves it without a bound
        layer.note = f"{site.described(loop_info.site_bound)} makes its loop go on until a call succeeds"
    return layer


def _decided(block) -> tuple[bool, bool]:
    """(every path through the end of ``block`` leaves the attempt or goes round again, one of
    them leaves the loop): ``if ok: return x`` ``else: continue``."""
    return _ends(last_statement(block))


def _ends(last: cst.CSTNode | None) -> tuple[bool, bool]:
    if isinstance(last, (cst.Break, cst.Return)):
        return True, True
    if isinstance(last, (cst.Raise, cst.Continue)):
        return True, False
    if not isinstance(last, cst.If) or last.orelse is None:
        return False, False
    body = _decided(last.body)
    orelse = _decided(last.orelse.body) if isinstance(last.orelse, cst.Else) else _ends(last.orelse)  # elif
    return body[0] and orelse[0], body[1] or orelse[1]


def _polls(try_: cst.Try | cst.TryStar) -> bool:
    """A ``try`` that does its work and then only tests the result, each test leaving the loop
    (``r = get(url)``, ``if r.ok: break``, ``if late: raise TimeoutError``), one of them on
    success: a poll that goes round again on an error, not a worker doing more after each item."""
    body = list(try_.body.body)
    tests = []
    while body and isinstance(body[-1], cst.If):
        tests.insert(0, body.pop())
    if not body or not tests or any(isinstance(statement, cst.If) for statement in body):
        return False
    for test in tests:
        orelse = test.orelse
        if not isinstance(last_statement(test.body), _EXITS) or (orelse is not None and not (
                isinstance(orelse, cst.Else) and isinstance(last_statement(orelse.body), _EXITS))):
            return False
    return any(isinstance(last_statement(test.body), (cst.Break, cst.Return)) for test in tests)


def _deadline_context(name: str, given: set[str], pattern: str) -> bool:
    """``name`` called with the keywords ``given`` matches a catalog deadline context:
    ``anyio.CancelScope(deadline)`` only when ``deadline=`` is passed."""
    glob, _, needed = pattern.partition("(")
    return fnmatch.fnmatchcase(name, glob) and (not needed or needed.rstrip(")") in given)


def _replies(statements) -> set[str]:
    """Names the statements bind, at their own level, to a call's result or a value read from one."""
    found: set[str] = set()
    for statement in statements:
        for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
            if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None and any(
                    isinstance(n, cst.Call) or (isinstance(n, cst.Name) and n.value in found)
                    for n in (small.value, *descendants(small.value, stop_at_loops=True))):
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                found.update(t.value for t in targets if isinstance(t, cst.Name))
    return found


class _LoopShape:
    """Reads a ``for``/``while`` loop: is it a retry loop, is it bounded, does it wait."""

    def __init__(self, model: ModuleModel, function: Function, loop, site: SiteArguments | None = None):
        self.model = model
        self.site = site
        self.site_bound: list[str] = []  # the site's parameters that decided the loop never ends
        self.by_default = False  # a count read is a default the program may set otherwise
        self.function = function
        self.loop = loop
        self.tries = [n for n in loop.body.body if isinstance(n, (cst.Try, cst.TryStar))]
        self.retrying_handlers: list[cst.ExceptHandler] = []
        self.stopping_handlers: list[cst.ExceptHandler] = []
        for try_ in self.tries:
            for handler in try_.handlers:
                (self.retrying_handlers if goes_round(handler) else self.stopping_handlers).append(handler)
        self.exception_names = {
            h.name.name.value for h in self.retrying_handlers if h.name is not None and isinstance(h.name.name, cst.Name)
        }

    def _mentions_exception(self, test: cst.CSTNode) -> bool:
        return mentions(test, self.exception_names)

    def iterator(self) -> str | None:
        if isinstance(self.loop, cst.For) and isinstance(self.loop.iter, cst.Call):
            return self.model.qualify(self.loop.iter.func, self.function.scope)
        return None

    def is_retry(self) -> bool:
        if not self.retrying_handlers:
            return False  # no exception drives it: a polling or work loop
        if isinstance(self.loop, cst.For):
            if self.iterator() not in self.model.catalog.loop_iterators:  # [loops] in the catalog
                return False  # iterating over items: a fallback or batch loop, not a retry
            if self._indexes_data():
                return False
        return self._exits_on_success()

    def _indexes_data(self) -> bool:
        """``for i in range(len(prompts)):`` whose ``try`` reads ``prompts[i]``: each turn works
        on another item (a fallback or batch loop), not again on the same work."""
        target = self.loop.target
        if not isinstance(target, cst.Name):
            return False
        return any(
            isinstance(node, cst.SubscriptElement) and isinstance(node.slice, cst.Index)
            and isinstance(node.slice.value, cst.Name) and node.slice.value.value == target.value
            for try_ in self.tries for node in descendants(try_.body, stop_at_loops=True)
        )

    def _exits_on_success(self) -> bool:
        """A retry loop leaves once the work succeeds: an unconditional break/return at the
        end of the try (or its else), or in the loop body after it. A loop that goes on
        after a success is a worker or polling loop."""
        judged = [try_ for try_ in self.tries if self._judges_result(try_)]
        for try_ in self.tries:
            if try_ not in judged and any(isinstance(n, cst.Continue) for n in descendants(try_.body, stop_at_loops=True)):
                return False  # it goes on after work that succeeded: a periodic loop
        if judged or any(_polls(try_) for try_ in self.tries):
            return True
        for try_ in self.tries:
            for block in (try_.body, try_.orelse.body if try_.orelse else None):
                if block is not None and isinstance(last_statement(block), (cst.Break, cst.Return)):
                    return True
        after = False
        for statement in self.loop.body.body:
            if isinstance(statement, (cst.Try, cst.TryStar)):
                after = True
            elif after and isinstance(statement, cst.SimpleStatementLine):
                if any(isinstance(small, (cst.Break, cst.Return)) for small in statement.body):
                    return True
        return False

    def _judges_result(self, try_: cst.Try | cst.TryStar) -> bool:
        """``for retry in range(n):`` whose ``try`` ends with an ``if`` judging the attempt's
        result: every path leaves or goes round again, and a good result leaves (``if ok: return
        rating`` ``else: continue``), with no ``continue`` before it. A retry of bad results as
        well as of errors, not a periodic loop."""
        if not isinstance(self.loop, cst.For) or self.iterator() not in self.model.catalog.loop_counting_iterators:
            return False
        target = self.loop.target
        words = self.model.catalog.loops.get("retry_words", ())
        if not isinstance(target, cst.Name) or not (target.value == "_" or any(w in target.value.lower() for w in words)):
            return False  # ``for i in range(len(items))`` looks through data
        last = try_.body.body[-1] if try_.body.body else None
        if not isinstance(last, cst.If) or (_decided(try_.body) != (True, True) and not self._reasks(try_, last)):
            return False
        earlier = try_.body.body[:-1]
        return not any(isinstance(n, cst.Continue) for statement in earlier for n in descendants(statement, stop_at_loops=True))

    def _reasks(self, try_: cst.Try | cst.TryStar, last: cst.If) -> bool:
        """``response = complete(...)`` then ``if response and response.choices: ... return`` with no
        ``else``, ending the ``try``: every path in the ``if`` leaves or goes round, and when its test
        on the reply (or a value read from it) fails the iteration ends with nothing leaving the loop:
        a failed attempt, asked again (crawl4ai 0.9.5 table_extraction.py), not work done."""
        if last.orelse is not None or try_.orelse is not None or _decided(last.body) != (True, True):
            return False
        after = self.loop.body.body[self.loop.body.body.index(try_) + 1:]
        if any(isinstance(n, (cst.Break, cst.Return)) for s in after for n in (s, *descendants(s, stop_at_loops=True))):
            return False
        replies = _replies(try_.body.body[:-1])
        return any(isinstance(n, cst.Name) and n.value in replies for n in (last.test, *descendants(last.test)))

    def shows_retry_intent(self) -> bool:
        """It waits between tries, or counts attempts: the loop is meant as a retry."""
        if self.sleeps():
            return True
        names = []
        if isinstance(self.loop, cst.For):
            names.append(self.model.code(self.loop.target))
        for node in descendants(self.loop.body, stop_at_loops=True):
            if isinstance(node, cst.AugAssign):
                names.append(self.model.code(node.target))
        if isinstance(self.loop, cst.While):
            names.append(self.model.code(self.loop.test))
        words = self.model.catalog.loops.get("retry_words", ())
        return any(word in name.lower() for name in names for word in words) or "_" in names

    def _exit_tests(self) -> list[cst.If]:
        """``if <test>: raise|break|return`` at this loop level, on a failure's path: in the loop
        body or an ``except`` clause. One inside a ``try`` body runs after the work succeeded
        (``if response.ok: return response``) and bounds nothing, unless it tests a counter."""
        in_try_bodies = {
            id(node) for try_ in self.tries for node in descendants(try_.body, stop_at_loops=True)
        }
        counters = self._counters()
        found = []
        for node in descendants(self.loop.body, stop_at_loops=True):
            if not isinstance(node, cst.If):
                continue
            if id(node) in in_try_bodies and not any(
                isinstance(n, cst.Name) and n.value in counters for n in descendants(node.test)
            ):
                continue
            orelse = node.orelse
            if isinstance(last_statement(node.body), _EXITS) or (
                isinstance(orelse, cst.Else) and isinstance(last_statement(orelse.body), _EXITS)
            ):
                found.append(node)
        return found + [guard for handler in self.retrying_handlers for guard in continue_guards(handler)]

    def has_deadline(self) -> bool:
        """The loop runs inside a timeout context (``with anyio.fail_after(30):``)."""
        patterns = self.model.catalog.loop_deadline_contexts
        for context in self.function.loop_contexts.get(id(self.loop), ()):
            if isinstance(context, cst.Call):
                name = self.model.qualify(context.func, self.function.scope) or self.model.code(context.func)
                given = {arg.keyword.value for arg in context.args if arg.keyword is not None}
                if any(_deadline_context(name, given, pattern) for pattern in patterns):
                    return True
        return False

    def capped(self) -> bool:
        if self.has_deadline():
            return True
        if isinstance(self.loop, cst.For):
            return self.iterator() in self.model.catalog.loop_counting_iterators or self._has_counter_exit()
        test = self.loop.test
        if self.site is not None:
            if site_arguments.truth(test, self.function.scope, self.site, self.site_bound):
                return self._has_counter_exit()  # ``while max_retries is None or ...`` with max_retries=None
            self.site_bound.clear()
            test = site_arguments.reduced(test, self.function.scope, self.site)
        endless = (isinstance(test, cst.Name) and test.value == "True") or (
            isinstance(test, cst.Integer) and test.value != "0"
        ) or (  # ``while not done:`` waits for success; ``while not budget.exhausted():`` is bounded
            isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
            and not isinstance(test.expression, cst.Call)
        )
        return not endless or self._has_counter_exit()

    def _counters(self) -> set[str]:
        """Names the loop counts with (``attempt += 1``)."""
        return {
            node.target.value for node in descendants(self.loop.body, stop_at_loops=True)
            if isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name)
        }

    def _has_counter_exit(self) -> bool:
        """An exit on a failure's path that does not look at the error: a counter, the time
        against a deadline, a growing delay against a timeout, a retry budget."""
        return any(not self._mentions_exception(node.test) for node in self._exit_tests())

    def attempts(self) -> int | None:
        if isinstance(self.loop, cst.For) and self.iterator() in self.model.catalog.loop_counting_iterators:
            args = [a for a in self.loop.iter.args if a.keyword is None]
            values = [self._count(a.value) for a in args[:2]]
            if all(isinstance(v, int) for v in values) and values:
                return values[0] if len(values) == 1 else max(values[1] - values[0], 0)
        test = self.loop.test if isinstance(self.loop, cst.While) else None
        if test is not None and self.site is not None:
            test = site_arguments.reduced(test, self.function.scope, self.site)
        if isinstance(test, cst.Comparison):
            comparison = test.comparisons[0]
            value = self._count(comparison.comparator)
            if isinstance(comparison.operator, (cst.LessThan, cst.LessThanEqual)) and isinstance(value, int):
                return value + (1 if isinstance(comparison.operator, cst.LessThanEqual) else 0)
        return None

    def _count(self, expr: cst.BaseExpression, depth: int = 0) -> int | None:
        """A number, a sum or difference of them, where literals reach it (``known_values``: a
        parameter's default or the decoration site's argument, ``self.<attr>`` its class sets to
        one, ``range(self.max_retries)`` with ``max_retries: int = 5``); a default counted is
        noted in ``by_default``."""
        if depth > 10:
            return None
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Subtract)):
            left, right = self._count(expr.left, depth + 1), self._count(expr.right, depth + 1)
            if left is None or right is None:
                return None
            return left + right if isinstance(expr.operator, cst.Add) else left - right
        found = counted(known(expr, self.function.scope, self.site), least=0)  # (``range(self.retries + 1)``)
        if found is None or not isinstance(found.value, int) or isinstance(found.value, bool):
            return None
        self.by_default = self.by_default or found.default
        return found.value

    def earlier(self, handler: cst.ExceptHandler) -> list[cst.ExceptHandler]:
        """The clauses of ``handler``'s ``try`` before it."""
        try_ = next(t for t in self.tries if handler in t.handlers)
        return list(try_.handlers[: try_.handlers.index(handler)])

    def dead(self, handler: cst.ExceptHandler, finder) -> bool:
        """An ``except`` no failure reaches: an earlier clause of its ``try`` catches a base of
        what it names (``except OpenAIError`` before ``except InvalidRequestError``)."""
        catalog = self.model.catalog
        scope = self.function.scope
        names = [ref.name for ref in finder.exception_refs(handler.type, scope)]
        for try_ in self.tries:
            if handler not in try_.handlers:
                continue
            for earlier in try_.handlers[: try_.handlers.index(handler)]:
                if earlier.type is None:
                    return True
                for ref in finder.exception_refs(earlier.type, scope):
                    if ref.name in ("builtins.Exception", "builtins.BaseException"):
                        return all(name not in catalog.interrupt_exceptions for name in names)
                    if ref.name in catalog.broad and all(
                        name is not None and name.rpartition(".")[0] == ref.name.rpartition(".")[0] for name in names
                    ):
                        return True
        return False

    def changes_input(self) -> bool:
        """A retrying ``except`` assigns a name the ``try`` body uses: each attempt runs on new
        input (a new e-mail address), so a deterministic error may not come back."""
        used = {
            node.value for try_ in self.tries for node in descendants(try_.body, stop_at_loops=True)
            if isinstance(node, cst.Name)
        }
        for handler in self.retrying_handlers:
            for node in descendants(handler.body, stop_at_loops=True):
                if isinstance(node, cst.Assign) and any(
                    isinstance(target.target, cst.Name) and target.target.value in used for target in node.targets
                ):
                    return True
        return False

    def classifies(self) -> bool:
        """A handler that re-raises some failures at once (``if not transient(e): raise``, or ``if not ok``
        after ``ok = self.retry_predicate(e)``, or ``if transient(e): continue`` then ``raise``), itself or
        in a project function it hands the error to (``handler_helpers``)."""
        names = self.exception_names
        return any(classifies(handler.body, names, continue_guards(handler))
                   or (names and classified_by_helper(self.function.scope, handler.body, names))
                   or admits_transient_messages(handler, self.model.catalog.loop_transient_texts)
                   for handler in self.retrying_handlers)

    def sleeps(self) -> bool:
        """A wait call in the loop, or a project function a retrying clause calls that sleeps
        (``except Exception as e: handle(e, attempt)`` whose ``handle`` calls ``backoff_wait(delay)``)."""
        for node in descendants(self.loop.body, stop_at_loops=True):
            if isinstance(node, cst.Call):
                func = node.func
                name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
                if name in self.model.catalog.loop_wait_calls:
                    return True
        return any(waits_in_helper(self.function.scope, handler.body) for handler in self.retrying_handlers)
