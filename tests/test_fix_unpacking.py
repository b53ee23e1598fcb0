"""A fix never adds a keyword that an unpacked argument (``**options``, ``*args``) could already
pass: ``@retry(**self.config, stop=...)`` raises TypeError (multiple values for keyword argument
'stop') for every config that sets ``stop``. Such findings are reported without a fix."""

from __future__ import annotations

import pytest

from retrylint.engine import Engine
from retrylint.settings import Settings

CLIENT = "import openai\n\nclient = openai.OpenAI({client_args})\n\n"
TENACITY = CLIENT + """from tenacity import retry


class Job:
    @retry({layer_args})
    def run(self):
        return client.chat.completions.create(model="m", messages=[])
"""
BACKOFF = CLIENT + """import backoff


@backoff.on_exception(backoff.expo, Exception, {layer_args})
def run():
    return client.chat.completions.create(model="m", messages=[])
"""
CELERY = """import stripe
from celery import shared_task


@shared_task(bind=True, autoretry_for=(Exception,), max_retries=3, {layer_args})
def charge(self, amount):
    stripe.Charge.create(amount=amount{call_args})
    save(amount)
"""


def fixes(source: str) -> dict[str, list[str]]:
    """Each finding's code with the text its fix inserts (unsafe fixes included)."""
    diagnostics = Engine(Settings()).lint_source(source, "job.py")
    return {d.code: [edit.content for edit in d.fix.edits] if d.fix else [] for d in diagnostics}


@pytest.mark.parametrize(("unpacked", "found"), [
    # ``**self.config`` may hold a stop, a classifier and a wait: only the stack is certain.
    ("**self.config", {"RTL005": []}),
    ("*self.args", {"RTL001": [], "RTL002": [], "RTL005": [], "RTL006": []}),
])
def test_tenacity_layer_with_unpacked_arguments_gets_no_keyword(unpacked, found):
    source = TENACITY.format(client_args="**OPTIONS", layer_args=unpacked)
    assert fixes(source) == found
    assert Engine(Settings()).fix_source(source, "job.py", unsafe=True).source == source


def test_the_same_layer_without_unpacking_is_fixed():
    source = TENACITY.format(client_args="", layer_args="reraise=True")
    assert {code: bool(inserted) for code, inserted in fixes(source).items()} == {
        "RTL001": True, "RTL002": True, "RTL005": True, "RTL006": True}


def test_a_keyword_already_written_beside_the_unpacking_is_still_replaced():
    """``stop=`` written out cannot also come from ``**config`` (Python would refuse the call
    already), so changing its value adds no conflict."""
    source = TENACITY.format(client_args="", layer_args="stop=stop_never, **self.config").replace(
        "from tenacity import retry", "from tenacity import retry, stop_never")
    assert fixes(source)["RTL001"] == ["after_attempt(3)", ", stop_after_attempt"]


def test_backoff_layer_with_unpacked_options_gets_no_cap_and_no_giveup():
    source = BACKOFF.format(client_args="", layer_args="**BACKOFF_OPTIONS")
    # The options may cap it and give up on some errors: unknown, so only the stack is reported.
    assert fixes(source) == {"RTL005": ["max_retries=0"]}


def test_celery_task_and_stripe_call_with_unpacked_options_get_no_keyword():
    source = CELERY.format(layer_args="**TASK_OPTIONS", call_args=", **PARAMS")
    # TASK_OPTIONS may hold dont_autoretry_for: no RTL002 on an unknown non-retryable list.
    assert fixes(source) == {"RTL003": [], "RTL005": []}
    source = CELERY.format(layer_args="queue='q'", call_args="")
    assert fixes(source)["RTL003"] == [", idempotency_key=self.request.id"]
