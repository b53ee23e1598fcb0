"""Hand-written loops that walk a ladder of spellings (issue 11, bbook-maker 1.3.1): an ``except``
that goes round only after a project function of the error moves on state the next request
reads (``if not CONTROLS.rejected(model, e): raise``), or after the handler moves it itself,
sends a changed request each time round. It is bounded by the ladder (no RTL001), retries no
deterministic error (no RTL004), stacks on no SDK retry of the 400 it goes round after (no
RTL005) and needs no wait (no RTL006). A test that only classifies the error, or a step that
writes what the request never reads, leaves a plain retry of the same request: that fires."""

from __future__ import annotations

from helpers import at, check, found, message, src, write_tree

LADDER = """
    class ThinkingOff:
        def __init__(self, controls=({"reasoning_effort": "none"}, {"thinking": {"type": "disabled"}}, {})):
            self._controls = controls
            self._accepted = {}

        def control(self, model):
            return self._controls[self._accepted.get(model, 0)]

        def rejected(self, model, error):
            index = self._accepted.get(model, 0)
            if getattr(error, "status_code", None) != 400 or index + 1 >= len(self._controls):
                return False
            self._accepted[model] = index + 1
            return True


    CONTROLS = ThinkingOff()
"""


def test_a_loop_sending_the_next_spelling_of_a_refused_field_is_no_retry():
    s = src(LADDER + """
    import openai

    client = openai.OpenAI(max_retries=1)


    def ask(model, messages):
        while True:
            try:
                return client.chat.completions.create(model=model, messages=messages, extra_body=CONTROLS.control(model))
            except (openai.BadRequestError, openai.UnprocessableEntityError) as e:
                if not CONTROLS.rejected(model, e):
                    raise


    async def ask_async(aclient, model, messages):
        async def attempt():
            return await aclient.chat.completions.create(model=model, messages=messages, extra_body=CONTROLS.control(model))

        while True:
            try:
                return await attempt()
            except openai.BadRequestError as e:
                if CONTROLS.rejected(model, e):
                    continue
                raise
    """)
    assert found(s) == []


def test_a_handler_moving_a_cap_spelling_on_is_no_retry_nor_an_item_loop_under_it():
    """The step is called after the tests that re-raise (``note_cap_rejected``), and the request
    reads what it moved at the top of the loop; the loop it calls through, itself a ladder, is no
    loop over items for RTL003."""
    s = src("""
    import openai

    client = openai.OpenAI(max_retries=1)
    CAP_FIELDS = ("max_tokens", "max_completion_tokens")


    class Ledger:
        def __init__(self):
            self.cap_field = {}

        def cap_kwargs(self, model, cap):
            index = self.cap_field.get(model, 0)
            return {CAP_FIELDS[index]: cap} if index < len(CAP_FIELDS) else {}

        def note_cap_rejected(self, model):
            self.cap_field[model] = self.cap_field.get(model, 0) + 1


    def classify(error):
        return "max_tokens" if "max_tokens" in str(error) else "other"


    class Translator:
        def __init__(self):
            self.ledger = Ledger()
            self.body = {"reasoning_effort": "none"}

        def _negotiating(self, call):
            while True:
                try:
                    return call()
                except openai.BadRequestError as e:
                    if "reasoning_effort" not in str(e) or not self.body:
                        raise
                    self.body.pop("reasoning_effort")

        def compact(self, model, messages):
            while True:
                cap = self.ledger.cap_kwargs(model, 500)
                try:
                    return self._negotiating(lambda: client.chat.completions.create(
                        model=model, messages=messages, extra_body=self.body, **cap))
                except openai.BadRequestError as e:
                    if not cap or classify(e) != "max_tokens":
                        raise
                    self.ledger.note_cap_rejected(model)
                    print("asking with the next spelling")
    """)
    assert found(s) == []


def test_the_predicate_moving_the_ladder_may_live_in_another_module(tmp_path):
    write_tree(tmp_path, {
        "app/__init__.py": "",
        "app/reasoning.py": LADDER,
        "app/translator.py": """
            import openai

            from . import reasoning

            client = openai.OpenAI(max_retries=1)


            class Translator:
                def __init__(self, model):
                    self.model = model

                def request_extra_body(self):
                    return reasoning.CONTROLS.control(self.model) or None

                def _negotiating(self, call):
                    while True:
                        try:
                            return call()
                        except (openai.BadRequestError, openai.UnprocessableEntityError) as e:
                            if not reasoning.CONTROLS.rejected(self.model, e):
                                raise

                def translate(self, text):
                    def attempt():
                        return client.chat.completions.create(
                            model=self.model, messages=[{"role": "user", "content": text}],
                            extra_body=self.request_extra_body())

                    return self._negotiating(attempt)
            """,
    })
    assert check(tmp_path, "app/translator.py") == []


CLASSIFY_ONLY = """
    import openai

    client = openai.OpenAI(max_retries=1)


    def should_retry(error):
        return getattr(error, "status_code", None) in (400, 429)


    def ask(model, messages):
        while True:
            try:
                return client.chat.completions.create(model=model, messages=messages)
            except openai.BadRequestError as e:
                if not should_retry(e):
                    raise
"""


def test_a_predicate_that_only_classifies_the_error_leaves_a_retry_of_the_same_request():
    s = src(CLASSIFY_ONLY)
    line = at(s, "while True")
    assert found(s) == [("RTL001", line), ("RTL004", line), ("RTL005", line), ("RTL006", line)]
    assert message(s, "RTL001") == ("hand-written retry loop retries without limit: it has no attempt cap and no "
                                    "deadline; count attempts and re-raise after the last one")
    assert message(s, "RTL004") == ("hand-written retry loop (unbounded attempts) retries after openai.BadRequestError, "
                                    "which no retry can fix; re-raise it instead of retrying")


def test_a_step_writing_what_the_request_never_reads_leaves_a_retry_of_the_same_request():
    """``note_failure`` moves ``self.failures`` on, and returns True until five: a count the
    request does not read, not a changed request."""
    s = src("""
    import openai

    client = openai.OpenAI(max_retries=1)


    class Tracker:
        def __init__(self):
            self.failures = {}

        def note_failure(self, model, error):
            self.failures[model] = self.failures.get(model, 0) + 1
            return getattr(error, "status_code", None) == 400


    TRACKER = Tracker()


    def ask(model, messages):
        while True:
            try:
                return client.chat.completions.create(model=model, messages=messages)
            except openai.BadRequestError as e:
                if not TRACKER.note_failure(model, e):
                    raise
    """)
    line = at(s, "while True")
    assert found(s) == [("RTL001", line), ("RTL004", line), ("RTL005", line), ("RTL006", line)]


def test_a_ladder_beside_a_handler_retrying_without_a_step_is_still_unbounded():
    s = src(LADDER + """
    import openai

    client = openai.OpenAI(max_retries=0)


    def ask(model, messages):
        while True:
            try:
                return client.chat.completions.create(model=model, messages=messages, extra_body=CONTROLS.control(model))
            except openai.BadRequestError as e:
                if not CONTROLS.rejected(model, e):
                    raise
            except openai.RateLimitError:
                pass
    """)
    line = at(s, "while True")
    assert found(s) == [("RTL001", line), ("RTL006", line)]  # no RTL004: BadRequestError goes round only so


def test_a_handler_resetting_what_the_request_reads_is_no_step():
    """prefect 3 ``Subscription.__anext__``: ``self._websocket = None`` makes the next attempt
    connect again, and so does every one after it: a reconnect, retried without limit."""
    s = src("""
    import asyncio


    class Subscription:
        async def __anext__(self):
            while True:
                try:
                    await self._ensure_connected()
                    return await self._websocket.recv()
                except ConnectionRefusedError:
                    self._websocket = None
                    await asyncio.sleep(0.5)

        async def _ensure_connected(self):
            if self._websocket:
                return
            self._websocket = await self._connect()
    """)
    assert found(s) == [("RTL001", at(s, "while True"))]


def test_a_call_under_a_ladder_is_no_item_loop_for_the_layer_around_it():
    """The tenacity layer re-runs ``translate`` after a connection error; the ladder under it
    re-sends only a refused request, so the paid call is not billed per item (RTL003 used to say
    "runs in a loop, billed per item")."""
    s = src(LADDER + """
    import openai
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

    client = openai.OpenAI(max_retries=0)


    def negotiating(model, call):
        while True:
            try:
                return call()
            except openai.BadRequestError as e:
                if not CONTROLS.rejected(model, e):
                    raise


    @retry(stop=stop_after_attempt(3), wait=wait_random_exponential(max=30),
           retry=retry_if_exception_type(openai.APIConnectionError))
    def translate(model, text):
        def attempt():
            return client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}],
                                                  extra_body=CONTROLS.control(model))

        return negotiating(model, attempt)
    """)
    assert found(s) == []
