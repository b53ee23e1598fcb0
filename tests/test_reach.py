"""Reachability's cost and shape: cycles, shared helpers, long call chains (in one module and
across modules), each answered the same whatever the order of definitions, in time linear in
the calls."""

from __future__ import annotations

import signal
import textwrap
from contextlib import contextmanager
from pathlib import Path

import pytest

from retrylint.engine import Engine
from retrylint.settings import Settings

HEADER = """\
import openai
from tenacity import retry, stop_after_attempt, wait_exponential

client = openai.OpenAI()
"""
LAYER = "@retry(stop=stop_after_attempt(3), wait=wait_exponential())"


@contextmanager
def time_limit(seconds: int):
    """Fail (instead of hanging) when the block runs longer than ``seconds``."""

    def expired(signum, frame):
        raise TimeoutError(f"took over {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def findings(source: str, path: str = "tasks.py", root: Path | None = None) -> list[tuple[str, int, str]]:
    engine = Engine(Settings(root=root))
    return sorted((d.code, d.line, d.message) for d in engine.lint_source(source, path))


def codes(source: str, **kwargs) -> list[tuple[str, int]]:
    return [(code, line) for code, line, _ in findings(source, **kwargs)]


CYCLE_FUNCTIONS = """
def ping(n):
    if n:
        pong(n - 1)
    client.chat.completions.create(model="m", messages=[])


def pong(n):
    ping(n)
"""


@pytest.mark.parametrize("first", ["ping", "pong"])
def test_each_layer_over_a_call_cycle_reaches_the_call_whichever_is_checked_first(first):
    second = "pong" if first == "ping" else "ping"
    layers = "".join(f"\n\n{LAYER}\ndef run_{name}():\n    {name}(3)\n" for name in (first, second))
    source = HEADER + CYCLE_FUNCTIONS + layers
    lines = source.splitlines()
    first_layer = lines.index(f"def run_{first}():")  # the decorator's 1-based line
    second_layer = lines.index(f"def run_{second}():")
    # Recursion makes the paid call once per level: a later level failing re-bills the earlier ones.
    assert codes(source) == [
        ("RTL002", first_layer), ("RTL002", second_layer), ("RTL003", first_layer), ("RTL003", second_layer),
        ("RTL005", first_layer), ("RTL005", second_layer),
    ]


def test_the_chain_through_a_cycle_is_the_shortest():
    source = HEADER + CYCLE_FUNCTIONS + f"\n\n{LAYER}\ndef run():\n    pong(3)\n"
    messages = [m for code, _, m in findings(source) if code == "RTL002"]
    assert messages == [
        "tenacity @retry on 'run' (up to 3 attempts) retries on every exception around billable run -> "
        "pong (tasks.py:12) -> ping (tasks.py:6) -> chat.completions.create and declares no non-retryable "
        "errors; stop at once on BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError, "
        "UnprocessableEntityError"
    ]


def doubling_chain(depth: int) -> str:
    """Each function calls the one before it twice: 2**depth call paths to one paid call."""
    functions = ['def f0():\n    client.chat.completions.create(model="m", messages=[])\n']
    functions += [f"def f{n}():\n    f{n - 1}()\n    f{n - 1}()\n" for n in range(1, depth + 1)]
    return HEADER + "\n\n" + "\n\n".join(functions) + f"\n\n{LAYER}\ndef run():\n    f{depth}()\n"


def test_reach_is_linear_in_call_paths_that_share_functions():
    with time_limit(20):
        found = findings(doubling_chain(40))
    rtl003 = [m for code, _, m in found if code == "RTL003"]
    assert len(rtl003) == 1
    assert f"3 attempts x {2 ** 40} billable calls = {3 * 2 ** 40} billed calls" in rtl003[0]


@pytest.mark.slow  # rendering the 6,000-line function for positions and fixes takes most of its 10-20 s
def test_a_helper_called_thousands_of_times_costs_linear_time():
    calls = "".join("    helper(item)\n" for _ in range(6000))
    source = HEADER + (
        '\n\ndef helper(item):\n    client.chat.completions.create(model="m", messages=[item])\n'
        f"\n\n{LAYER}\ndef run(item):\n{calls}"
    )
    with time_limit(120):  # it took 289 s when each call looked at every later one
        found = findings(source)
    rtl003 = [m for code, _, m in found if code == "RTL003"]
    assert len(rtl003) == 1
    assert "chat.completions.create (billed again if helper fails after it)" in rtl003[0]
    assert "3 attempts x 6000 billable calls = 18000 billed calls" in rtl003[0]


def test_a_call_chain_of_500_functions_reaches_the_paid_call():
    functions = ['def f0():\n    client.chat.completions.create(model="m", messages=[])\n']
    functions += [f"def f{n}():\n    return f{n - 1}()\n" for n in range(1, 501)]
    source = HEADER + "\n\n" + "\n\n".join(functions) + f"\n\n{LAYER}\ndef run():\n    f500()\n"
    layer_line = source.splitlines().index("def run():")
    assert codes(source) == [("RTL002", layer_line), ("RTL005", layer_line)]


def test_a_call_chain_across_500_modules_reaches_the_paid_call(tmp_path):
    (tmp_path / "m0.py").write_text(HEADER + '\n\ndef f0():\n    client.chat.completions.create(model="m", messages=[])\n')
    for n in range(1, 501):
        (tmp_path / f"m{n}.py").write_text(f"from m{n - 1} import f{n - 1}\n\n\ndef f{n}():\n    return f{n - 1}()\n")
    source = textwrap.dedent(f"""\
        from tenacity import retry, stop_after_attempt, wait_exponential

        from m500 import f500


        {LAYER}
        def run():
            f500()
        """)
    (tmp_path / "tasks.py").write_text(source)
    assert codes(source, path=str(tmp_path / "tasks.py"), root=tmp_path) == [("RTL002", 6), ("RTL005", 6)]


def test_two_calls_to_one_helper_are_one_reach_counted_twice_in_report():
    from retrylint.output.blast_radius import entry_points

    source = HEADER + (
        '\n\ndef helper():\n    return client.chat.completions.create(model="m", messages=[])\n'
        f"\n\n{LAYER}\ndef run():\n    helper()\n    helper()\n"
    )
    context = Engine(Settings()).analyse(source, "tasks.py")
    (point,) = entry_points(context, {})
    assert [(b.name, b.calls, b.attempts) for b in point.billable] == [("chat.completions.create", 2, 9)]
    assert point.billed_calls == 18
    assert point.to_json()["billable"][0]["calls"] == 2


def test_recursion_back_into_a_retried_function_is_not_a_second_layer():
    source = HEADER + f"""

{LAYER}
def walk(node):
    return visit(node)


def visit(node):
    for child in node.children:
        walk(child)
    return client.chat.completions.create(model="m", messages=[])
"""
    found = findings(source)
    assert [(code, line) for code, line, _ in found] == [("RTL002", 7), ("RTL003", 7), ("RTL005", 7)]
    rtl005 = [m for code, _, m in found if code == "RTL005"]
    assert "runs under 2 retry layers: tenacity @retry on 'walk' (3) x OpenAI client (3: retries 2 by default)" in rtl005[0]
