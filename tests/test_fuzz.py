"""Property tests: on any input, generated or mutated from real retry code, the engine never raises,
every diagnostic points inside the file, and every fix result compiles and is idempotent.

A bounded, derandomized number of examples runs here; scripts/fuzz_campaign.py runs the long campaign."""

from __future__ import annotations

import hypothesmith
import pytest
from fuzz_support import RETRY_HEADER, check_source, keywords_beside_unpacking, mutate, seeds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow

SEEDS = seeds()
CI = dict(deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])


def test_seeds_are_real_retry_code():
    assert len(SEEDS) >= 40
    assert all(check_source(seed) == [] for seed in SEEDS)


def test_the_oracle_finds_a_keyword_added_beside_an_unpacked_argument():
    before = "@retry(**self.config)\ndef f(): pass\n"
    assert keywords_beside_unpacking(before, "@retry(**self.config, stop=s)\ndef f(): pass\n") == [
        "added ['stop'] to retry(...) beside an unpacked argument"]
    assert keywords_beside_unpacking(before, "import s\n" + before) == []
    assert keywords_beside_unpacking("retry(*a, stop=x)\n", "retry(*a, stop=y)\n") == []


def test_no_fix_adds_a_keyword_beside_an_unpacked_argument():
    source = RETRY_HEADER.replace("@retry", "@retry(**CONFIG)").replace("OpenAI()", "OpenAI(*ARGS)")
    assert check_source(source) == []


@settings(max_examples=150, **CI)
@given(seed=st.sampled_from(SEEDS), data=st.data(), steps=st.integers(1, 6), keep_valid=st.booleans())
def test_mutated_retry_code(seed, data, steps, keep_valid):
    def choose(n: int) -> int:
        return data.draw(st.integers(0, max(n - 1, 0)))

    source = mutate(seed, choose, steps, keep_valid=keep_valid)
    assert check_source(source) == [], source


@settings(max_examples=25, **CI)
@given(program=hypothesmith.from_grammar())
def test_generated_programs_behind_a_retry_layer(program):
    source = RETRY_HEADER + program
    assert check_source(source) == [], source


@settings(max_examples=60, **CI)
@given(text=st.text(alphabet=st.sampled_from(list("()[]{}:,.=@#'\"\\\n\r\t x1_")) | st.characters(), max_size=80))
def test_arbitrary_text_after_a_retry_header(text):
    assert check_source(RETRY_HEADER + text) == []
    assert check_source(text + "\n" + RETRY_HEADER) == []


@pytest.mark.parametrize("source", [
    "from tenacity import retry\ndef f():",  # Python reports the missing block past the last line
    "from tenacity import retry\nx = 1 +\\",
    "from tenacity import retry\nx = '''\n",
    "from tenacity import retry\n\x0cx = (\n",
    "from tenacity import retry\r\nx = (\r\n",
    "from tenacity import retry\rif x:\r  y\r z\r",
    "import openai\nfor attempt in range(3):\n    try:\n        return* openai.chat.completions.create()\n"
    "    except Exception:\n        pass\n",  # once an escaping libcst CSTValidationError
    # A form feed is no line break for Python: fix edits once counted it as one (str.splitlines)
    "\rimport stripe\rfrom celery import shared_task\r\r@shared_task(\x0cbind=True, "
    "autoretry_for=(stripe.APIConnectionError,), max_retries=3)\rdef charge(self, amount):\r"
    " return stripe.PaymentIntent.create(amount=amount, currency='eur')\r",
])
def test_regressions_found_by_fuzzing(source):
    assert check_source(source) == []


def test_positions_after_a_leading_backslash_continuation():
    """libcst's PositionProvider puts every node one line early here (found by fuzzing); our
    positions place each statement's text in the source, so they are right."""
    source = "\\\nimport tenacity\n\n@tenacity.retry\ndef f():\n    pass\n"
    from retrylint.engine import Engine
    from retrylint.settings import Settings

    assert [(d.code, d.line) for d in Engine(Settings()).lint_source(source, "m.py")] == [("RTL001", 4)]
