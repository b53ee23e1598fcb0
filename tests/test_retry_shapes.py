"""Retry shapes real code uses: decorator factories, policies built in data, recursion,
loops bounded by time or a budget, hand-written classifiers. Each shape is read as a layer
with its real policy, in one module and across modules."""

from __future__ import annotations

from helpers import at, check, found, lint, message, src, write_tree


# ----- decorator factories --------------------------------------------------------------------
def test_a_decorator_factory_applied_to_a_nested_function_is_the_factorys_layer():
    s = src(
        """
        import openai
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

        client = openai.OpenAI()

        def _create_retry_decorator(llm):
            return retry(
                reraise=True,
                stop=stop_after_attempt(4),
                wait=wait_exponential(multiplier=1, min=4, max=10),
                retry=retry_if_exception_type(openai.RateLimitError),
            )

        class Model:
            def completion_with_retry(self, **kwargs):
                retry_decorator = _create_retry_decorator(self)

                @retry_decorator
                def _completion_with_retry(**kwargs):
                    return client.chat.completions.create(**kwargs)

                return _completion_with_retry(**kwargs)
        """
    )
    assert found(s) == [("RTL005", at(s, "@retry_decorator"))]
    assert message(s, "RTL005").startswith(
        "chat.completions.create runs under 2 retry layers: tenacity @retry from _create_retry_decorator() "
        "on '_completion_with_retry' (4) x OpenAI client (3: retries 2 by default) = up to 12 calls per run"
    )


def test_a_decorator_factory_called_on_the_function_is_a_layer():
    s = src(
        """
        import openai
        from tenacity import retry, wait_exponential

        client = openai.OpenAI(max_retries=0)

        def make_retry():
            policy = retry(wait=wait_exponential())
            return policy

        def complete(**kwargs):
            retry_decorator = make_retry()

            def _complete(**kwargs):
                return client.chat.completions.create(**kwargs)

            return retry_decorator(_complete)(**kwargs)

        @make_retry()
        def embed(text):
            return client.embeddings.create(model="m", input=text)
        """
    )
    assert found(s) == [
        ("RTL001", at(s, "retry_decorator(_complete)")),
        ("RTL001", at(s, "@make_retry()")),
        ("RTL002", at(s, "retry_decorator(_complete)")),
        ("RTL002", at(s, "@make_retry()")),
    ]
    texts = [d.message for d in lint(s) if d.code == "RTL001"]
    assert texts == [
        "tenacity @retry from make_retry() on '_complete' retries without limit: it has no attempt cap and no deadline",
        "tenacity @retry from make_retry() on 'embed' retries without limit: it has no attempt cap and no deadline",
    ]


def test_a_decorator_factory_in_another_module(tmp_path):
    write_tree(tmp_path, {
        "retries.py": """
            import openai
            from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential


            def create_retry_decorator(max_retries):
                return retry(
                    stop=stop_after_attempt(max_retries),
                    wait=wait_exponential(),
                    retry=retry_if_exception_type(Exception),
                )
            """,
        "llm.py": """
            import openai

            from retries import create_retry_decorator

            client = openai.OpenAI(max_retries=0)


            def complete(prompt):
                retry_decorator = create_retry_decorator(6)

                @retry_decorator
                def _complete():
                    return client.chat.completions.create(model="m", messages=[])

                return _complete()
            """,
    })
    findings = check(tmp_path, "llm.py")
    assert [(d["code"], d["path"], d["line"]) for d in findings] == [("RTL002", "llm.py", 11)]
    assert findings[0]["message"].startswith(
        "tenacity @retry from create_retry_decorator() on '_complete' (up to 6 attempts) retries on broad Exception"
    )
    assert findings[0]["fix"] is None  # the policy is written in another file


def test_a_method_returning_another_modules_factory_is_the_factorys_layer(tmp_path):
    """llama-index-embeddings-openai: ``retry_decorator = self._create_retry_decorator()``, a
    method whose ``return create_retry_decorator(...)`` calls a factory of another module;
    on an async generator tenacity only wraps making it, which never fails: no layer."""
    write_tree(tmp_path, {
        "utils.py": """
            import openai
            from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential


            def create_retry_decorator(max_retries):
                return retry(
                    stop=stop_after_attempt(max_retries),
                    wait=wait_random_exponential(min=1, max=20),
                    retry=retry_if_exception_type((openai.RateLimitError, openai.APIConnectionError)),
                )
            """,
        "base.py": """
            from openai import AsyncOpenAI, OpenAI

            from utils import create_retry_decorator


            def get_embedding(client: OpenAI, text):
                return client.embeddings.create(input=[text], model="m").data[0].embedding


            class Embedding:
                max_retries = 4

                def _create_retry_decorator(self):
                    return create_retry_decorator(max_retries=self.max_retries)

                def embed(self, text):
                    client = OpenAI()
                    retry_decorator = self._create_retry_decorator()

                    @retry_decorator
                    def _retryable_get_embedding():
                        return get_embedding(client, text)

                    return _retryable_get_embedding()

                async def stream(self, text):
                    client = AsyncOpenAI()
                    retry_decorator = self._create_retry_decorator()

                    @retry_decorator
                    async def _retryable_stream():
                        async for chunk in await client.embeddings.create(input=[text], model="m"):
                            yield chunk

                    return _retryable_stream()
            """,
    })
    findings = check(tmp_path, "base.py")
    assert [(d["code"], d["path"], d["line"]) for d in findings] == [("RTL005", "base.py", 20)]
    assert findings[0]["message"] == (
        "embeddings.create runs under 2 retry layers: tenacity @retry from create_retry_decorator() on "
        "'_retryable_get_embedding' (4) x OpenAI client (3: retries 2 by default) "
        "= up to 12 calls per run; chain _retryable_get_embedding -> get_embedding (base.py:6) "
        "-> embeddings.create (via annotation); let one layer retry"
    )


def test_iterating_a_retrying_object_a_factory_returns(tmp_path):
    """mini-swe-agent: ``for attempt in retry(logger=..., abort_exceptions=...): with attempt:``
    with ``retry`` a project function returning ``tenacity.Retrying(...)``; fhlmi's ``async for``
    over ``model_retrying(n)`` returning ``AsyncRetrying``. Each loop body is the retried block."""
    write_tree(tmp_path, {
        "retry_utils.py": """
            from tenacity import AsyncRetrying, Retrying, retry_if_not_exception_type, stop_after_attempt, wait_exponential


            def retry(*, abort_exceptions):
                return Retrying(
                    reraise=True,
                    stop=stop_after_attempt(10),
                    wait=wait_exponential(multiplier=1, min=4, max=60),
                    retry=retry_if_not_exception_type(tuple(abort_exceptions)),
                )


            def model_retrying(max_retries):
                return AsyncRetrying(stop=stop_after_attempt(max_retries + 1), wait=wait_exponential())
            """,
        "model.py": """
            import litellm
            import openai

            from retry_utils import model_retrying, retry

            aclient = openai.AsyncOpenAI(max_retries=0)


            def query(messages):
                for attempt in retry(abort_exceptions=[litellm.exceptions.AuthenticationError]):
                    with attempt:
                        response = litellm.completion(model="m", messages=messages)
                return response


            async def aquery(messages):
                async for attempt in model_retrying(3):
                    with attempt:
                        return await aclient.chat.completions.create(model="m", messages=messages)
            """,
    })
    findings = check(tmp_path, "model.py")
    assert [(d["code"], d["path"], d["line"]) for d in findings] == [("RTL005", "model.py", 10), ("RTL002", "model.py", 17)]
    assert findings[1]["message"].startswith(
        "tenacity Retrying from model_retrying() (an unknown number of attempts) retries on every exception"
    )
    assert findings[0]["message"] == (
        "completion runs under 2 retry layers: tenacity Retrying from retry() (10) x "
        "LiteLLM (provider SDK retries) (3: retries 2 by default) = up to 30 calls per run; chain query -> completion; "
        "let one layer retry"
    )


def test_a_hand_written_retry_decorator_re_exported_by_a_package(tmp_path):
    """camel's ``retry_on_error``: a factory in ``utils/commons.py`` re-exported by ``utils``,
    imported in parentheses over several lines, whose wrapper loops around the function."""
    write_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/utils/__init__.py": "from .commons import retry_on_error\n",
        "pkg/utils/commons.py": """
            import functools
            import time


            def retry_on_error(max_retries=3, initial_delay=1.0):
                def decorator(func):
                    @functools.wraps(func)
                    def wrapper(*args, **kwargs):
                        delay = initial_delay
                        for attempt in range(max_retries + 1):
                            try:
                                return func(*args, **kwargs)
                            except Exception:
                                if attempt == max_retries:
                                    raise
                                time.sleep(delay)
                                delay *= 2
                    return wrapper
                return decorator
            """,
        "pkg/cot.py": """
            import openai

            from pkg.utils import (
                retry_on_error,
            )

            client = openai.OpenAI(max_retries=0)


            class Pipeline:
                @retry_on_error()
                def trace(self, problem):
                    return client.chat.completions.create(model="m", messages=[])

                @retry_on_error()
                async def stream(self, problem):
                    return client.chat.completions.create(model="m", messages=[])
            """,
    })
    findings = check(tmp_path, "pkg/cot.py", "pkg/utils/commons.py")
    assert [(d["code"], d["path"], d["line"]) for d in findings] == [("RTL002", "pkg/cot.py", 11)]
    assert findings[0]["message"].startswith(
        "hand-written retry loop in retry_on_error() on 'trace' (up to 4 attempts by default) retries on broad "
        "Exception around billable trace -> chat.completions.create"
    )
    assert findings[0]["fix"] is None  # the loop is written in another file, and shared


def test_a_decoration_in_another_module_decides_the_bound_and_errors_of_its_factorys_loop(tmp_path):
    """lm-eval's ``retry_on_specific_exceptions``: the loop in ``models/utils.py`` runs ``while
    max_retries is None or attempt < max_retries`` and catches ``tuple(on_exceptions)``; each
    decoration passes both. ``max_retries=None`` leaves the loop unbounded where it decorates
    (the loop itself is bounded as written), and the list decides what it retries."""
    write_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/models/__init__.py": "",
        "pkg/models/utils.py": """
            import time
            from functools import wraps


            def retry_on_specific_exceptions(on_exceptions, max_retries=None, backoff_time=3.0):
                def decorator(func):
                    @wraps(func)
                    def wrapper(*args, **kwargs):
                        sleep_time = backoff_time
                        attempt = 0
                        while max_retries is None or attempt < max_retries:
                            try:
                                return func(*args, **kwargs)
                            except tuple(on_exceptions) as e:
                                time.sleep(sleep_time)
                                attempt += 1
                    return wrapper
                return decorator
            """,
        "pkg/models/anthropic_llms.py": """
            import anthropic

            from pkg.models.utils import retry_on_specific_exceptions

            client = anthropic.Anthropic(max_retries=0)


            def chat(prompt):
                @retry_on_specific_exceptions(
                    on_exceptions=[anthropic.RateLimitError, anthropic.APIStatusError],
                    max_retries=None,
                )
                def messages():
                    return client.messages.create(model="m", max_tokens=10, messages=[])

                return messages()


            def complete(prompt):
                @retry_on_specific_exceptions(on_exceptions=[anthropic.RateLimitError], max_retries=5)
                def completion():
                    return client.messages.create(model="m", max_tokens=10, messages=[])

                return completion()
            """,
    })
    findings = check(tmp_path, "pkg/models/anthropic_llms.py", "pkg/models/utils.py")
    assert [(d["code"], d["path"], d["line"], d["message"]) for d in findings] == [
        ("RTL001", "pkg/models/anthropic_llms.py", 9,
         "hand-written retry loop in retry_on_specific_exceptions() on 'messages' retries without limit: it has no "
         "attempt cap and no deadline; max_retries=None here makes its loop go on until a call succeeds"),
        ("RTL002", "pkg/models/anthropic_llms.py", 9,
         "hand-written retry loop in retry_on_specific_exceptions() on 'messages' (unbounded attempts) retries on broad "
         "anthropic.APIStatusError around billable messages -> messages.create and declares no non-retryable errors; "
         "stop at once on BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError, "
         "UnprocessableEntityError"),
    ]


def test_a_hand_written_decorator_applying_a_retry_factory_in_another_module(tmp_path):
    """llama-index's ``llm_retry_decorator``: the wrapper applies ``create_retry_decorator(...)``
    (another module) to the function it is given; a method returning an unstarted generator
    is wrapped without retrying the paid call inside it."""
    write_tree(tmp_path, {
        "llm/__init__.py": "",
        "llm/utils.py": """
            import openai
            from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential


            def create_retry_decorator(max_retries):
                return retry(
                    stop=stop_after_attempt(max_retries),
                    wait=wait_random_exponential(min=1, max=20),
                    retry=retry_if_exception_type((openai.APIConnectionError, openai.RateLimitError)),
                )
            """,
        "llm/base.py": """
            import functools

            from openai import OpenAI

            from llm.utils import create_retry_decorator


            def llm_retry_decorator(f):
                @functools.wraps(f)
                def wrapper(self, *args, **kwargs):
                    retry = create_retry_decorator(max_retries=self.max_retries)
                    return retry(f)(self, *args, **kwargs)

                return wrapper


            class Model:
                def __init__(self):
                    self.max_retries = 3
                    self.client = OpenAI()

                @llm_retry_decorator
                def chat(self, prompt):
                    response = self.client.chat.completions.create(model="m", messages=[])
                    return self._counts(response)

                @llm_retry_decorator
                def stream_chat(self, prompt):
                    def gen():
                        for chunk in self.client.chat.completions.create(model="m", messages=[], stream=True):
                            yield chunk

                    return gen()

                def _counts(self, response):
                    return {"total": response.usage.total_tokens}
            """,
    })
    findings = check(tmp_path, "llm/base.py")
    assert [(d["code"], d["line"]) for d in findings] == [("RTL005", 22)]
    assert findings[0]["message"].startswith(
        "chat.completions.create runs under 2 retry layers: tenacity @retry from create_retry_decorator() in "
        "llm_retry_decorator() on 'chat' (capped, count unknown) x OpenAI client (3: retries 2 by default) = "
        "an unknown number of calls per run"
    )


def test_a_helper_of_a_package_named_like_the_sdk_cannot_raise_the_sdks_errors(tmp_path):
    """``llama_index/llms/openai/base.py`` in a namespace package is the module ``openai.base``:
    its own helper after the paid call is project code, not the SDK, and cannot raise the
    ``openai.RateLimitError`` the layer retries (no RTL003)."""
    write_tree(tmp_path, {
        "llama/llms/openai/__init__.py": "",
        "llama/llms/openai/base.py": """
            import openai
            from openai import OpenAI
            from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

            client = OpenAI(max_retries=0)


            class Model:
                @retry(
                    stop=stop_after_attempt(3),
                    wait=wait_exponential(),
                    retry=retry_if_exception_type(openai.RateLimitError),
                )
                def chat(self, prompt):
                    response = client.chat.completions.create(model="m", messages=[])
                    return self._counts(response)

                def _counts(self, response):
                    return {"total": response.usage.total_tokens}
            """,
    })
    assert check(tmp_path / "llama", "llms/openai/base.py") == []


def test_a_function_returning_something_else_is_no_factory():
    s = src(
        """
        import openai

        client = openai.OpenAI(max_retries=0)

        def make_logger():
            return print

        def complete():
            log = make_logger()

            @log
            def _complete():
                return client.chat.completions.create(model="m", messages=[])

            return _complete()
        """
    )
    assert found(s) == []


# ----- policies built in data ---------------------------------------------------------------
def test_retrying_built_from_a_dict_in_the_same_function():
    s = src(
        """
        import openai
        from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

        client = openai.OpenAI(max_retries=0)

        def complete(prompt):
            options = {"wait": wait_exponential()}
            options["retry"] = retry_if_exception_type(Exception)
            for attempt in Retrying(**options):
                with attempt:
                    return client.chat.completions.create(model="m", messages=[])

        def bounded(prompt):
            options = dict(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(openai.RateLimitError))
            for attempt in Retrying(**options):
                with attempt:
                    return client.chat.completions.create(model="m", messages=[])
        """
    )
    assert found(s) == [("RTL001", at(s, "Retrying(**options)")), ("RTL002", at(s, "Retrying(**options)"))]
    assert "(unbounded attempts) retries on broad Exception" in message(s, "RTL002")
    assert [d.fix for d in lint(s)] == [None, None]  # the dict may hold the keyword: no edit


def test_a_policy_from_elsewhere_has_an_unknown_stop_not_none():
    s = src(
        """
        import openai
        from tenacity import retry

        client = openai.OpenAI(max_retries=0)

        class Caller:
            def __init__(self, config):
                self.config = config

            def ask(self):
                @retry(**self.config)
                def inner():
                    return client.chat.completions.create(model="m", messages=[])
                return inner()
        """
    )
    assert found(s) == []


def test_a_retry_decorator_stored_in_a_module_constant_and_a_class_attribute(tmp_path):
    write_tree(tmp_path, {
        "policies.py": """
            from tenacity import retry, stop_after_attempt, wait_exponential

            LLM_RETRY = retry(wait=wait_exponential())


            class Settings:
                llm_retry = retry(stop=stop_after_attempt(5), wait=wait_exponential())
            """,
        "llm.py": """
            import openai

            from policies import LLM_RETRY, Settings

            client = openai.OpenAI(max_retries=0)


            @LLM_RETRY
            def ask(prompt):
                return client.chat.completions.create(model="m", messages=[])


            @Settings.llm_retry
            def embed(text):
                return client.embeddings.create(model="m", input=text)
            """,
    })
    findings = check(tmp_path, "llm.py")
    assert [(d["code"], d["line"]) for d in findings] == [("RTL001", 8), ("RTL002", 8), ("RTL002", 13)]
    assert findings[0]["message"] == (
        "tenacity @retry on 'ask' retries without limit: it has no attempt cap and no deadline"
    )
    assert "tenacity @retry on 'embed' (up to 5 attempts) retries on every exception" in findings[2]["message"]


# ----- layers that never retry ----------------------------------------------------------------
def test_the_retry_packages_decorator_on_an_async_def_never_retries():
    s = src(
        """
        import openai
        from retry import retry

        client = openai.AsyncOpenAI(max_retries=0)

        @retry(tries=3, delay=1, backoff=2)
        async def ask(prompt, db):
            reply = await client.chat.completions.create(model="m", messages=[])
            db.save(reply)

        @retry(tries=3, delay=1, backoff=2)
        def ask_sync(prompt, db):
            reply = openai.OpenAI(max_retries=0).chat.completions.create(model="m", messages=[])
            db.save(reply)
        """
    )
    assert found(s) == [("RTL002", at(s, "@retry", 2)), ("RTL003", at(s, "@retry", 2))]


# ----- Celery: a cap given where it retries --------------------------------------------------
def test_celery_max_retries_none_capped_by_the_only_self_retry():
    s = src(
        """
        import openai
        from celery import shared_task

        client = openai.OpenAI(max_retries=0)

        @shared_task(bind=True, max_retries=None)
        def ask(self, prompt):
            try:
                return client.chat.completions.create(model="m", messages=[])
            except openai.RateLimitError as exc:
                raise self.retry(exc=exc, max_retries=5, countdown=10)

        @shared_task(bind=True, max_retries=None)
        def ask_forever(self, prompt):
            try:
                return client.chat.completions.create(model="m", messages=[])
            except openai.RateLimitError as exc:
                raise self.retry(exc=exc, countdown=10)
        """
    )
    assert found(s) == [("RTL001", at(s, "@shared_task", 2))]


# ----- recursion as retry ---------------------------------------------------------------------
# ----- loops bounded by something other than a counter ------------------------------------------
# ----- hand-written classifiers ---------------------------------------------------------------
def test_hand_written_loops_that_classify_errors_have_a_non_retryable_list():
    s = src(
        """
        import time
        import openai

        client = openai.OpenAI(max_retries=0)

        def by_status(prompt):
            for attempt in range(3):
                try:
                    return client.chat.completions.create(model="m", messages=[])
                except openai.APIStatusError as error:
                    if error.status_code < 500 and error.status_code != 429:
                        raise
                    time.sleep(2 ** attempt)

        def by_class(prompt):
            for attempt in range(3):
                try:
                    return client.chat.completions.create(model="m", messages=[])
                except openai.BadRequestError:
                    raise
                except Exception:
                    time.sleep(2 ** attempt)

        def by_message(prompt):
            for attempt in range(3):
                try:
                    return client.chat.completions.create(model="m", messages=[])
                except Exception as error:
                    if "context_length_exceeded" in str(error):
                        raise
                    time.sleep(2 ** attempt)
        """
    )
    assert found(s) == []


def test_catching_exception_and_going_on_has_no_non_retryable_list():
    s = src(
        """
        import time
        import openai

        client = openai.OpenAI(max_retries=0)

        def ask(prompt):
            for attempt in range(3):
                try:
                    return client.chat.completions.create(model="m", messages=[])
                except Exception as error:
                    print(error)
                    time.sleep(2 ** attempt)
        """
    )
    assert found(s) == [("RTL002", at(s, "for attempt"))]


# ----- RTL004: a loop whose attempts change their input ----------------------------------------
def test_recursion_with_a_checked_counter_is_a_bounded_layer():
    s = src(
        """
        import time
        import openai

        client = openai.OpenAI()

        class Runner:
            def execute(self, prompt, attempt=0):
                try:
                    return client.chat.completions.create(model="m", messages=[])
                except openai.RateLimitError:
                    if attempt >= 3:
                        raise
                    time.sleep(2 ** attempt)
                    return self.execute(prompt, attempt + 1)
        """
    )
    assert found(s) == [("RTL005", at(s, "return self.execute"))]
    assert "OpenAI client (3: retries 2 by default)" in message(s, "RTL005")
    assert "recursive retry on 'execute'" in message(s, "RTL005")


def test_recursion_without_a_check_is_unbounded():
    s = src(
        """
        import time
        import openai

        client = openai.OpenAI(max_retries=0)

        def execute(prompt, attempt=0):
            try:
                return client.chat.completions.create(model="m", messages=[])
            except Exception:
                time.sleep(1)
                return execute(prompt, attempt + 1)
        """
    )
    assert found(s) == [("RTL001", at(s, "return execute")), ("RTL002", at(s, "return execute"))]
    assert message(s, "RTL001") == (
        "recursive retry on 'execute' retries without limit: it has no attempt cap and no deadline; "
        "count attempts and re-raise after the last one"
    )


def test_recursion_with_a_counter_on_self():
    s = src(
        """
        import time
        import openai

        client = openai.OpenAI(max_retries=0)

        class Runner:
            def __init__(self):
                self.retries = 0

            def execute(self, prompt):
                try:
                    reply = client.chat.completions.create(model="m", messages=[])
                    self.retries = 0
                    return reply
                except openai.APIError:
                    self.retries += 1
                    if self.retries > 3:
                        raise
                    time.sleep(1)
                    return self.execute(prompt)

            def execute_reset_each_time(self, prompt):
                self.retries = 0
                try:
                    return client.chat.completions.create(model="m", messages=[])
                except openai.APIError:
                    self.retries += 1
                    if self.retries > 3:
                        raise
                    time.sleep(1)
                    return self.execute_reset_each_time(prompt)
        """
    )
    assert found(s) == [
        ("RTL001", at(s, "return self.execute_reset_each_time")),
        ("RTL002", at(s, "return self.execute(prompt)")),
        ("RTL002", at(s, "return self.execute_reset_each_time")),
    ]


def test_a_recursive_call_outside_a_handler_is_no_retry():
    s = src(
        """
        import openai

        client = openai.OpenAI()

        def walk(node):
            reply = client.chat.completions.create(model="m", messages=[])
            for child in node.children:
                walk(child)
            return reply
        """
    )
    assert found(s) == []


def test_recursion_across_modules_reaches_the_paid_call(tmp_path):
    write_tree(tmp_path, {
        "llm.py": """
            import openai

            client = openai.OpenAI(max_retries=0)


            def complete(prompt):
                return client.chat.completions.create(model="m", messages=[])
            """,
        "jobs.py": """
            import time

            from llm import complete


            def run(prompt, tries=0):
                try:
                    return complete(prompt)
                except Exception:
                    if tries > 2:
                        raise
                    time.sleep(2)
                    return run(prompt, tries + 1)
            """,
    })
    findings = check(tmp_path, "jobs.py")
    assert [(d["code"], d["line"]) for d in findings] == [("RTL002", 13)]
    assert "recursive retry on 'run' (up to 4 attempts) retries on broad Exception around billable run -> complete (llm.py:6) -> chat.completions.create" in findings[0]["message"]


def test_loops_bounded_by_time_a_growing_delay_or_a_budget():
    s = src(
        """
        import time
        import openai

        client = openai.OpenAI(max_retries=0)

        def by_deadline(prompt, timeout):
            deadline = time.monotonic() + timeout
            while True:
                try:
                    return client.chat.completions.create(model="m", messages=[])
                except openai.RateLimitError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(1)

        def by_delay(prompt, timeout):
            delay = 1
            while delay < timeout:
                try:
                    return client.chat.completions.create(model="m", messages=[])
                except openai.RateLimitError:
                    time.sleep(delay)
                    delay *= 2

        def by_budget(prompt, budget):
            while True:
                try:
                    return client.chat.completions.create(model="m", messages=[])
                except openai.RateLimitError:
                    if not budget.try_spend():
                        raise
                    time.sleep(1)
        """
    )
    assert found(s) == []


def test_a_loop_whose_only_exits_are_successes_is_unbounded():
    s = src(
        """
        import time
        import requests

        def fetch(url):
            while True:
                try:
                    response = requests.get(url, timeout=5)
                    if response.status_code == 204:
                        return None
                    return response.json()
                except requests.ConnectionError:
                    time.sleep(1)
        """
    )
    assert found(s) == [("RTL001", at(s, "while True"))]
    assert message(s, "RTL001") == (
        "hand-written retry loop retries without limit: it has no attempt cap and no deadline; "
        "count attempts and re-raise after the last one"
    )


def test_a_dead_handler_after_a_broader_one_is_no_non_retryable_list():
    s = src(
        """
        import time
        import openai

        def ask(prompt):
            for attempt in range(3):
                try:
                    return openai.ChatCompletion.create(model="m", messages=[])
                except openai.error.OpenAIError:
                    time.sleep(2 ** attempt)
                except openai.error.InvalidRequestError:
                    break
        """
    )
    assert found(s) == [("RTL002", at(s, "for attempt"))]
    assert "retries on broad openai.error.OpenAIError" in message(s, "RTL002")
    assert "stop at once on InvalidRequestError, AuthenticationError, PermissionError" in message(s, "RTL002")


def test_re_raising_a_transient_error_is_no_non_retryable_list():
    s = src(
        """
        import time
        import openai

        client = openai.OpenAI(max_retries=0)

        def ask(prompt):
            for attempt in range(3):
                try:
                    return client.chat.completions.create(model="m", messages=[])
                except openai.RateLimitError:
                    raise
                except Exception:
                    time.sleep(2 ** attempt)
        """
    )
    assert found(s) == [("RTL002", at(s, "for attempt"))]


def test_a_loop_that_changes_its_input_is_not_retrying_a_deterministic_error():
    s = src(
        """
        from sqlalchemy.exc import IntegrityError

        def create_user(session, make_email):
            email = make_email()
            for attempt in range(5):
                try:
                    session.add_user(email)
                    return email
                except IntegrityError:
                    email = make_email()

        def create_user_same_input(session, email):
            for attempt in range(5):
                try:
                    session.add_user(email)
                    return email
                except IntegrityError:
                    session.rollback()
        """
    )
    assert found(s) == [("RTL004", at(s, "for attempt", 2))]


def test_re_raising_the_projects_rate_limit_error_from_another_module_is_no_non_retryable_list(tmp_path):
    """graphiti: ``errors.RateLimitError`` (a project class named like the SDK's transient error,
    raised from ``anthropic.RateLimitError``) re-raised before ``except Exception`` stops nothing
    that never heals; a project class named otherwise that the SDK's errors are turned into
    (``errors.InvalidPromptError``, raised from ``anthropic.BadRequestError``) does."""
    write_tree(tmp_path, {
        "client/__init__.py": "",
        "client/errors.py": """
            class RateLimitError(Exception):
                pass


            class InvalidPromptError(Exception):
                pass
            """,
        "client/llm.py": """
            import anthropic

            from .errors import InvalidPromptError, RateLimitError

            client = anthropic.Anthropic(max_retries=0)


            def _generate(messages):
                try:
                    return client.messages.create(model="m", max_tokens=10, messages=messages)
                except anthropic.RateLimitError as e:
                    raise RateLimitError(str(e)) from e
                except anthropic.BadRequestError as e:
                    raise InvalidPromptError(str(e)) from e


            def generate(messages):
                retry_count = 0
                while retry_count < 3:
                    try:
                        return _generate(messages)
                    except RateLimitError:
                        raise
                    except Exception:
                        retry_count += 1


            def generate_checked(messages):
                retry_count = 0
                while retry_count < 3:
                    try:
                        return _generate(messages)
                    except (RateLimitError, InvalidPromptError):
                        raise
                    except Exception:
                        retry_count += 1
            """,
    })
    findings = [d for d in check(tmp_path, "client/llm.py") if d["code"] == "RTL002"]
    assert [(d["code"], d["line"]) for d in findings] == [("RTL002", 19)]
    assert findings[0]["message"].startswith(
        "hand-written retry loop (up to 3 attempts) retries on broad Exception around billable generate -> _generate"
    )
