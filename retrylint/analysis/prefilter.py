"""The cheap test that runs on every file before anything is parsed: can this text hold a
retry layer? A file that cannot is neither parsed nor analysed (reachability still parses the
modules it needs, on demand).

Each test looks for a layer's shape in the text, built from the catalog, so that a library
added there is found here too. Which shapes a layer is written in, its form's reader declares
(``prefilter_shapes`` in ``analysis/layers/readers/``):

- a decorator named like a layer (``@app.task``, ``@retry(...)``, ``@dramatiq.actor``), a
  class built on a task base (``class Job(Task)``), a raised retry (``raise Retry(defer=5)``),
  a call of a retrying or call-site layer (``Retrying(...)``, ``queue.enqueue(f, retry=...)``);
- a call of any other catalog name (``Retry(total=3)``, ``Config(retries=...)``), or an
  import of one under another name, in a file that imports that name's library;
- a method the catalog infers a layer from, with one of its telltale keywords;
- a configured entry point's name or marker (or, for a pattern such as ``myapp.handlers.*``,
  the module's name: ``Prefilter.module_may_hold_entry_point``);
- a hand-written loop: a ``try`` right inside ``while`` or ``for ... in range(...)`` (or
  another of the catalog's loop iterators: ``count``, ``repeat``, ``cycle``) whose body can
  leave it (``break`` or ``return``), then the loop's exact shape on Python's own tree of its
  lines (``prefilter_loops.py``);
- a policy built elsewhere and applied here: a decorator whose name says retry
  (``@retry_decorator``), such a name applied to a function, or iterated (``for attempt in
  retry(...)``) (``readers/built_elsewhere.py``), or a name saying retry that the file assigns,
  called with a dotted name first (``self.retryer(self.client.completion, ...)``,
  ``readers/retrying_instances.py``);
- a recursive retry: ``return f(`` of a function the file defines, in a file with an ``except``,
  then in an ``except`` of ``f`` passing on its names, on Python's own tree (``readers/recursion.py``).

Every pattern starts with a literal, so that the regular-expression engine can skip ahead:
the whole test costs a fraction of reading the file. Python's own tree (built in C, a tenth of
libcst's cost) is built only for the few files whose text has a loop's or a recursion's shape."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

from retrylint.catalog import Catalog, LayerSpec
from retrylint.analysis.layers.readers.base import CALL, DECORATOR, FORWARDED_CALL, IMPORTED_CALL, RAISE, TASK_CLASS
from retrylint.analysis.layers.readers import built_elsewhere, recursion, retrying_instances
from retrylint.analysis.layers.registry import reader_for
from retrylint.analysis.prefilter_loops import HandLoops
from retrylint.analysis.prefilter_text import Code, is_word_char, start_of_line

IMPORT = re.compile(r"import[ \t]+([\w. \t,]+)")
FROM_IMPORT = re.compile(r"from[ \t]+([\w.]+)[ \t]+import\b")


def prefilter_shapes(spec: LayerSpec) -> tuple[str, ...]:
    """The shapes ``spec``'s layers are written in, as its form's reader declares them."""
    reader = reader_for(spec.form)
    return reader.prefilter_shapes if reader is not None else ()


def _alternatives(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=lambda w: (-len(w), w)))


def _actor_method(catalog: Catalog) -> re.Pattern | None:
    """The task method of an actor class, which may subclass a project base (``class
    Summarize(LLMActor)``): ``def perform(`` in a class."""
    methods = {spec.task_base_method for spec in catalog.task_bases.values() if spec.actors.options_class and spec.task_base_method}
    return re.compile(r"^[ \t]+def[ \t]+(?:%s)[ \t]*\(" % _alternatives(methods), re.MULTILINE) if methods else None


def _leaf(name: str) -> str:
    return name.rpartition(".")[2]


class Prefilter:
    """``could_hold_layer(text)`` for one catalog."""

    def __init__(self, catalog: Catalog):
        decorators: set[str] = set()
        calls: set[str] = set()
        raised: set[str] = set()
        keywords_needed: dict[str, set[str]] = defaultdict(set)  # call name -> keywords it needs
        self.gated: dict[str, set[str]] = defaultdict(set)  # library root -> names called after importing it
        instances: set[str] = set()  # classes whose instances are called: ``Guard(`` or ``Guard.for_pydantic(``
        forwarded: set[str] = set()  # functions of SDK modules, maybe imported from a project module that forwards
        for name, spec in catalog.layer_by_name.items():
            leaf, root, shapes = _leaf(name), name.partition(".")[0], prefilter_shapes(spec)
            if DECORATOR in shapes:  # recognised by their decorator, imported from anywhere
                decorators.add(leaf)
            if RAISE in shapes:
                raised.add(leaf)
            if CALL in shapes:  # distinctive call names
                calls.add(leaf)
                if spec.policy_param and spec.absent_policy == "none":
                    keywords_needed[leaf].add(spec.policy_param)  # no policy given, no retries
            if IMPORTED_CALL in shapes:  # an instance called (``guard(...)``): its class named where it is made
                self.gated[root].add(_leaf(name.rpartition(".")[0]) if leaf == "__call__" else leaf)
                instances |= {_leaf(name.rpartition(".")[0])} if leaf == "__call__" else set()
            if FORWARDED_CALL in shapes and name in catalog.module_functions:
                forwarded.add(leaf)
        self.decorator = re.compile(r"@[ \t]*(?:[\w.]+\.)?(?:%s)\b" % _alternatives(decorators))
        bases = {_leaf(base) for base, spec in catalog.task_bases.items() if TASK_CLASS in prefilter_shapes(spec)}
        self.task_class = re.compile(r"class[ \t]+\w+[ \t]*\([^)]*?\b(?:%s)\b" % _alternatives(bases)) if bases else None
        self.actor_method = _actor_method(catalog)
        self.raised = re.compile(r"raise[ \t]+(?:[\w.]+\.)?(?:%s)\b" % _alternatives(raised)) if raised else None
        self.calls = {
            leaf: (_call_of(leaf), [re.compile(r"\b%s[ \t]*=" % re.escape(k)) for k in keywords_needed[leaf]])
            for leaf in calls
        }
        self.call_gates = _gates(calls)
        gated = {leaf for leaves in self.gated.values() for leaf in leaves}
        self.gated_calls = {leaf: re.compile(r"%s[ \t]*[(.]" % re.escape(leaf)) if leaf in instances else _call_of(leaf)
                            for leaf in gated}
        self.aliased = {leaf: re.compile(r"%s[ \t]+as[ \t]" % re.escape(leaf)) for leaf in gated}  # import x as y
        self.forwarded = {leaf: (_call_of(leaf), re.compile(r"import[ \t(]+[\w \t,\\\n]*?\b%s\b" % re.escape(leaf)))
                          for leaf in forwarded}
        self.receiver_methods = {
            method: (re.compile(r"\.[ \t]*%s[ \t]*\(" % re.escape(method)),
                     re.compile(r"(?:%s)[ \t]*=" % _alternatives(spec.infer_keywords)))
            for method, spec in catalog.layers_by_receiver_method.items() if spec.infer_keywords
        }
        words: set[str] = set()
        markers: set[str] = set()
        prefixes: set[str] = set()
        for entry in catalog.entrypoints:
            for name in entry.names:
                word = max(re.split(r"[*?\[\]]", _leaf(name)), key=len)
                if word:
                    words.add(word)
                else:  # ``myapp.handlers.*``: only the module's name can tell
                    prefixes.add(re.split(r"[*?\[\]]", name)[0])
            markers |= set(entry.markers)
        self.entry_words = words
        self.entry_markers = [_any_case(marker) for marker in sorted(markers)]
        self.entry_module_prefixes = tuple(sorted(prefixes))
        self.hand_loop = HandLoops(catalog.loop_iterators)

    def could_hold_layer(self, text: str) -> bool:
        """Python NFKC-normalises identifiers (``@ｒｅｔｒｙ`` is ``@retry``): a text that is not
        ASCII is also tested as normalised."""
        if self._could_hold(text):
            return True
        if text.isascii():
            return False
        normalised = unicodedata.normalize("NFKC", text)
        return normalised != text and self._could_hold(normalised)

    def _could_hold(self, text: str) -> bool:
        return (
            self._library_layer(Code(text))
            or any(word in text for word in self.entry_words)
            or any(marker.search(text) for marker in self.entry_markers)
            or self.hand_loop(text)
            or _built_elsewhere(text)
            or recursion.may_be_written_in(text)
        )

    def module_may_hold_entry_point(self, module: str) -> bool:
        """Whether an entry point named by module (``myapp.handlers.*``) can be in ``module``:
        its name and the pattern's literal start agree as far as both go."""
        dotted = module + "."
        return any(dotted.startswith(prefix) or prefix.startswith(dotted) for prefix in self.entry_module_prefixes)

    def _library_layer(self, code: "Code") -> bool:
        text = code.text
        if "@" in text and code.finds(self.decorator, line_start=True):
            return True
        if self.task_class is not None and "class" in text and code.finds(self.task_class):
            return True
        if self.actor_method is not None and "class" in text and code.finds(self.actor_method):
            return True
        if self.raised is not None and "raise" in text and code.finds(self.raised):
            return True
        for gate, leaves in self.call_gates.items():
            if gate in text:
                for leaf in leaves:
                    call, keywords = self.calls[leaf]
                    if code.finds(call, after_word=True) and all(keyword.search(text) for keyword in keywords):
                        return True
        for method, (call, keyword) in self.receiver_methods.items():
            if method in text and code.finds(call) and keyword.search(text):
                return True
        for root in self._imported_roots(text):
            for leaf in self.gated[root]:
                if leaf in text and (code.finds(self.gated_calls[leaf], after_word=True)
                                     or code.finds(self.aliased[leaf], after_word=True)):
                    return True
        return any(leaf in text and code.finds(call, after_word=True) and code.finds(imported)
                   for leaf, (call, imported) in self.forwarded.items())

    def _imported_roots(self, text: str) -> set[str]:
        roots = {module.partition(".")[0] for module in FROM_IMPORT.findall(text)}
        for names in IMPORT.findall(text):
            roots |= {name.strip().partition(".")[0] for name in names.split(",")}
        return roots & self.gated.keys()


def _gates(words: set[str]) -> dict[str, list[str]]:
    """The words that hold no other word, each with the words holding it: testing the
    gates first spares a test per word."""
    gates = {word: [] for word in words if not any(other != word and other in word for other in words)}
    for word in sorted(words):
        for gate in gates:
            if gate in word:
                gates[gate].append(word)
    return gates


def _any_case(marker: str) -> re.Pattern:
    """``marker`` in any case; when it holds a character that has no case, the pattern starts
    from there, so that the search can skip ahead to it."""
    uncased = next((i for i, char in enumerate(marker) if char.lower() == char.upper()), None)
    if uncased is None:
        return re.compile(re.escape(marker), re.IGNORECASE)
    before, after = marker[:uncased], marker[uncased + 1:]
    char = re.escape(marker[uncased])
    return re.compile("%s(?<=(?i:%s)%s)(?i:%s)" % (char, re.escape(before), char, re.escape(after)))


def _call_of(name: str) -> re.Pattern:
    return re.compile(r"%s[ \t]*\(" % re.escape(name))


def _built_elsewhere(text: str) -> bool:
    """A decorator or an applied call whose name says retry and that the file binds."""
    if "etr" not in text and "ETR" not in text:
        return False
    retr = retrying_instances.retr_positions(text)  # every shape below holds one
    if not retr:
        return False
    code = Code(text)
    for match in built_elsewhere.PREFILTER_DECORATOR.finditer(text):
        start = match.start()
        if text[start_of_line(text, start): start].strip(" \t\f"):
            continue
        if not code.in_string(start) and built_elsewhere.binds(text, match.group(1)):
            return True
    for match in retrying_instances.matches_from(built_elsewhere.PREFILTER_APPLIED, text, retr):
        start = match.start()
        while start and is_word_char(text[start - 1]):
            start -= 1  # the whole name: ``create_retry_decorator(6)(``
        if not code.in_string(start) and built_elsewhere.binds(text, text[start: match.start(1)] + match.group(1)):
            return True
    if any(not code.in_string(match.start()) and built_elsewhere.binds(text, match.group(1))
           for match in built_elsewhere.PREFILTER_LOOP.finditer(text)):
        return True
    asked = set()  # each name's assignment is looked for once
    for start, name in retrying_instances.handed_calls(text, retr):
        if name not in asked and not code.in_string(start):
            asked.add(name)
            if retrying_instances.assigns(text, name):
                return True
    return False
