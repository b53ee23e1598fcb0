"""The prefilter skips files that can hold no retry layer, and only those."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from retrylint.analysis.layers.readers.base import (
    CALL, DECORATOR, FORWARDED_CALL, IMPORTED_CALL, PREFILTER_SHAPES, RAISE, TASK_CLASS, FormReader,
)
from retrylint.analysis.layers.registry import READERS
from retrylint.catalog import entry_point_from_table
from retrylint.engine import Engine
from retrylint.rules import ALL_RULES
from retrylint.settings import Settings

REPO = Path(__file__).resolve().parent.parent
ENGINE = Engine(Settings())

MAY_HOLD = {
    "decorator": "from myapp.worker import app\n\n@app.task(bind=True)\ndef build(self): ...\n",
    "decorator after docstrings": '''"""Tasks."""\n\ndef g():\n    \'\'\'Doc.\'\'\'\n\n@app.task\ndef f(): ...\n''',
    "decorator with spaces": "@ dramatiq.actor\ndef send(): ...\n",
    "decorator a factory made": "def f():\n    retry_decorator = make(1)\n\n    @retry_decorator\n    def g(): ...\n",
    "imported policy constant": "from app.policies import LLM_RETRY\n\n@LLM_RETRY\ndef ask(): ...\n",
    "retry loop judging the result": "def rate():\n    for retry in range(3):\n        try:\n            r = ask()\n            if r.ok:\n                return r\n            else:\n                continue\n        except Exception:\n            if retry < 2:\n                continue\n            else:\n                raise\n",
    "decorator imported in parentheses": "from app.utils import (\n    Timer,\n    retry_on_error,\n)\n\n@retry_on_error()\ndef ask(): ...\n",
    "factory's decorator applied by hand": "from app.retries import create_retry_decorator\nx = create_retry_decorator(6)(ask)\n",
    "factory's retrying object iterated": "from app.retries import retry\nfor attempt in retry(logger=log):\n    with attempt: ...\n",
    "a method's retrying object iterated": "class M:\n    def _retrying(self): ...\n    async def q(self):\n        async for a in self._retrying(): ...\n",
    "recursion from an except": "def ask(p, attempt=0):\n    try:\n        return call(p)\n    except OSError:\n        return ask(p, attempt + 1)\n",
    "aliased import": "from tenacity import retry as again\n",
    "an SDK module's function imported from a project module": "from app.llm_backend import (\n    completion,\n)\nr = completion(**params)\n",
    "retrying call": "for attempt in Retrying(stop=stop):\n    with attempt: ...\n",
    "call-site layer with its policy": "queue.enqueue(build, retry=Retry(max=3))\n",
    "policy of an imported library": "import urllib3\nadapter = HTTPAdapter(max_retries=urllib3.Retry(total=None))\n",
    "task class": "class Build(\n    Task,\n):\n    def run(self): ...\n",
    "raised retry": "async def job(ctx):\n    raise Retry(defer=5)\n",
    "inferred from keywords": "worker.task(max_retries=None)(build)\n",
    "cloud tasks marker": "def handler(request):\n    n = request.headers['X-CloudTasks-TaskRetryCount']\n",
    "while loop": """
        def fetch():
            while True:
                # one more time
                try:
                    return get()
                except OSError:
                    pass
        """,
    "range loop over several lines": """
        def fetch():
            for attempt in range(
                3
            ):
                try:
                    result = get()
                    break
                except OSError:
                    continue
        """,
    "loop with a header over several lines, CR newlines": "def f():\r    while (\r        x\r    ):\r"
                                                          "        try:\r            return 1\r        except E:\r"
                                                          "            pass\r",
    "loop Python refuses (its syntax error is reported)": """
        def fetch():
            while True:
                try:
                    return get(
                except OSError:
                    pass
        """,
    "loop whose text a string cuts (parsed whole)": """
        def fetch():
            while True:
                try:
                    return run()
                except OSError:
                    note = '''
        failed'''
        """,
    "tabs": "def fetch():\n\twhile True:\n\t\ttry:\n\t\t\treturn get()\n\t\texcept OSError:\n\t\t\tpass\n",
}

CANNOT_HOLD = {
    "iterating a retry-named call the file does not bind": "for attempt in get_retries(x):\n    print(attempt)\n",
    "words only": '"""How we retry a task with backoff, see Retrying and enqueue."""\nretry = task = 1\n',
    "import alone": "import tenacity\nfrom celery import Celery\n",
    "generic policy name without its library": "config = Config(retries=3)\nx = Retry(total=3)\n",
    "call-site layer without a policy": "queue.enqueue(build)\n",
    "a class's method of an SDK's name imported from a project module": "from subprocess import run\nrun(['ls'])\n",
    "an SDK module's function of that name, not called": "from app.llm_backend import completion\nhandlers = [completion]\n",
    "longer names": "myretry(f)\nx.enqueue_later(f)\n@pytest.mark.retry_later\ndef test(): ...\n",
    "try at module level": "try:\n    import json\nexcept ImportError:\n    json = None\n",
    "try inside a for over items": """
        for item in items:
            try:
                handle(item)
                break
            except ValueError:
                pass
        """,
    "try inside if inside a loop": """
        while True:
            if ready:
                try:
                    go()
                except OSError:
                    pass
            break
        """,
    "loop that cannot be left": """
        def serve():
            while True:
                try:
                    handle(queue.get())
                except Exception:
                    log()
        """,
    "examples in docstrings": '''
        def chain():
            """Run tasks one after another::

                @app.task
                def add(x, y):
                    while True:
                        try:
                            return x + y
                        except OSError:
                            pass
            """
        ''',
    "decorator-like text in a string": "R_INSTANCE = '<@task: {0.name} of {0.app}>'\nemail = 'a@retry.example'\n",
    "marker in another case of word": "X_CLOUDTASKS = 1\n",
    "loop whose every handler leaves": """
        def fetch():
            while True:
                try:
                    return get()
                except OSError:
                    log()
                    raise
        """,
    "loop that goes on after a success": """
        def poll():
            while True:
                try:
                    handle(get())
                except OSError:
                    log()
                if done():
                    break
        """,
    "loop with a continue after the work": """
        def serve():
            for attempt in range(3):
                try:
                    if handle():
                        continue
                    return
                except OSError:
                    pass
        """,
    "recursion with other input (a fallback)": "def ask(p):\n    try:\n        return call(p)\n    except OSError:\n"
                                                "        return ask(shorter(p))\n",
    "recursion outside an except": "def walk(node):\n    try:\n        x = 1\n    except OSError:\n        pass\n    return walk(node.child)\n",
}


@pytest.mark.parametrize("text", MAY_HOLD.values(), ids=MAY_HOLD.keys())
def test_texts_that_may_hold_a_layer_pass(text):
    assert ENGINE.could_hold_layer(dedent(text))


@pytest.mark.parametrize("text", CANNOT_HOLD.values(), ids=CANNOT_HOLD.keys())
def test_texts_that_cannot_hold_a_layer_are_skipped(text):
    assert not ENGINE.could_hold_layer(dedent(text))


def test_configured_entry_points_and_catalog_extensions_widen_it(tmp_path):
    text = "def handle_order_event(event): ...\n"
    assert not ENGINE.could_hold_layer(text)
    handler = entry_point_from_table({"label": "SQS handler", "names": ["*.handle_order_*"]}, "test")
    configured = Engine(Settings(entrypoint=(handler,)))
    assert configured.could_hold_layer(text)
    extra = tmp_path / "extra.toml"
    extra.write_text('[[layer]]\nlibrary = "ourlib"\nnames = ["ourlib.resilient"]\nform = "decorator"\n'
                     'dialect = "kwargs"\nlabel = "ourlib @resilient"\n')
    assert not ENGINE.could_hold_layer("@resilient\ndef f(): ...\n")
    assert Engine(Settings(extend_catalog=(extra,))).could_hold_layer("@resilient\ndef f(): ...\n")


def _sources() -> list[tuple[str, str]]:
    cases = [(f"{rule.code} case {i}", case.code) for rule in ALL_RULES for i, case in enumerate(rule.VALID + rule.INVALID)]
    files = [*(REPO / "tests" / "corpus").rglob("*.py"), *(REPO / "examples").rglob("*.py")]
    return cases + [(str(path.relative_to(REPO)), path.read_text(encoding="utf-8")) for path in files]


@pytest.mark.parametrize(("name", "source"), _sources(), ids=[name for name, _ in _sources()])
def test_the_prefilter_never_changes_findings(name, source, monkeypatch):
    expected = Engine(Settings()).lint_source(source, "case.py")
    unfiltered = Engine(Settings())
    monkeypatch.setattr(unfiltered, "could_hold_layer", lambda text: True)
    assert unfiltered.lint_source(source, "case.py") == expected
    if expected:
        assert ENGINE.could_hold_layer(source)


def test_a_changed_catalog_file_is_read_again(tmp_path):
    """Engines share a catalog read once, until one of its files changes (a language server lives long)."""
    extra = tmp_path / "extra.toml"
    layer = ('[[layer]]\nlibrary = "ourlib"\nnames = ["ourlib.{name}"]\nform = "decorator"\n'
             'dialect = "kwargs"\nlabel = "ourlib @{name}"\n')
    extra.write_text(layer.format(name="resilient"))
    settings = Settings(extend_catalog=(extra,))
    assert Engine(settings).catalog is Engine(settings).catalog
    assert Engine(settings).could_hold_layer("@resilient\ndef f(): ...\n")
    extra.write_text(layer.format(name="durable") + "# longer\n")
    assert Engine(settings).could_hold_layer("@durable\ndef f(): ...\n")
    assert not Engine(settings).could_hold_layer("@resilient\ndef f(): ...\n")


def _forms_without_a_shape(readers) -> list[str]:
    """Forms whose reader declares no shape the prefilter knows, or not the one its hooks read."""
    needed = {"at_decorator": DECORATOR, "at_raised_name": RAISE, "at_class": TASK_CLASS}
    return [
        form for form, reader in readers.items()
        if not reader.prefilter_shapes
        or not set(reader.prefilter_shapes) <= set(PREFILTER_SHAPES)
        or any(getattr(reader, hook) is not None and shape not in reader.prefilter_shapes for hook, shape in needed.items())
    ]


def test_every_registered_form_declares_its_prefilter_shapes():
    assert _forms_without_a_shape(READERS) == []


def test_a_form_registered_without_a_shape_is_caught():
    class Unshaped(FormReader):
        form = "new-shape"
        at_call = staticmethod(lambda finder, function, site, spec: None)

    class Undecorated(FormReader):
        form = "new-decorator"
        prefilter_shapes = (CALL,)
        at_decorator = staticmethod(lambda finder, function, decorator, spec, call, scope: None)

    readers = {**READERS, "new-shape": Unshaped(), "new-decorator": Undecorated()}
    assert _forms_without_a_shape(readers) == ["new-shape", "new-decorator"]


def _written_in(shape: str, name: str, spec) -> str:
    """One line holding ``name`` (a catalog layer's qualified name) in ``shape``."""
    leaf, root = name.rpartition(".")[2], name.partition(".")[0]
    keyword = f"{spec.policy_param}=p" if spec.policy_param and spec.absent_policy == "none" else ""
    if leaf == "__call__":  # an instance called: made by its class where it is called
        return f"import {root}\nmade = {name.rpartition('.')[0].rpartition('.')[2]}.for_pydantic(M)\nx = made()\n"
    return {
        DECORATOR: f"@{leaf}\ndef f(): ...\n",
        CALL: f"x = {leaf}({keyword})\n",
        RAISE: f"def f():\n    raise {leaf}\n",
        IMPORTED_CALL: f"import {root}\nx = {leaf}({keyword})\n",
        FORWARDED_CALL: f"from app.llm import {leaf}\nx = {leaf}({keyword})\n",
    }[shape]


SHAPED = [
    (f"{spec.form} {name} {shape}", shape, name, spec)
    for name, spec in ENGINE.catalog.layer_by_name.items()
    for shape in READERS[spec.form].prefilter_shapes if shape != TASK_CLASS
    and (shape != FORWARDED_CALL or name in ENGINE.catalog.module_functions)  # only a module's functions are forwarded
]


@pytest.mark.parametrize(("shape", "name", "spec"), [case[1:] for case in SHAPED], ids=[case[0] for case in SHAPED])
def test_each_catalog_layer_passes_in_every_shape_its_form_declares(shape, name, spec):
    assert ENGINE.could_hold_layer(_written_in(shape, name, spec))


@pytest.mark.parametrize("base", sorted(ENGINE.catalog.task_bases))
def test_each_task_base_passes_as_a_class_base(base):
    assert ENGINE.could_hold_layer(f"class Job({base.rpartition('.')[2]}):\n    def run(self): ...\n")


QUICK_SEARCH_TEXTS = [
    "x = retretr(a.b)\nretretr = 1\n", "RETRY_x = make_Retrier(6)(f)\n", "ReTrY(self.c.d, 1)\nReTrY = 2\n",
    "é = retry(self.a)\nretry = 1\n", "self.retry_retrier(self.client.x, 1)\nretry_retrier = 3\n",
    "retrretr(x)(y)\nretrretr = 1\n", "no such word\n",
]


@pytest.mark.parametrize("text", QUICK_SEARCH_TEXTS)
def test_retr_found_by_a_literal_search_as_the_pattern_finds_it(text):
    """The prefilter finds ``retr`` in any case with a literal search of the lower-case text,
    overlapping ones too, and what its patterns find from there is what they find alone."""
    import re

    from retrylint.analysis.layers.readers import built_elsewhere, retrying_instances as found

    def handed_by_the_pattern(text):
        for match in found.RETR.finditer(text):
            start, end = match.start(), match.end()
            while start and (text[start - 1].isalnum() or text[start - 1] == "_"):
                start -= 1
            while end < len(text) and (text[end].isalnum() or text[end] == "_"):
                end += 1
            if found._retry_at(text, match.start()) and found.HANDED_ARGUMENT.match(text, end):
                yield start, text[start:end]

    positions = found.retr_positions(text)
    assert positions == [match.start() for match in re.finditer(r"(?=(?i:retr))", text)]
    assert list(found.handed_calls(text, positions)) == list(handed_by_the_pattern(text))
    applied = built_elsewhere.PREFILTER_APPLIED
    assert [m.span() for m in found.matches_from(applied, text, positions)] == [m.span() for m in applied.finditer(text)]


@pytest.mark.parametrize("text, header", [
    ("  async for x in range(3):\n", True), ("\twhile x:\n", True), ("x = 1; while True:\n", False),
    ("foo for i in range(3)\n", False), ("# while x\n", False), ("transform = 1\nfor i in items.range (2):\n", True),
])
def test_a_loop_header_is_found_from_its_keyword(text, header):
    loops = Engine(Settings()).prefilter.hand_loop
    assert loops._has_loop_header(text) is header
