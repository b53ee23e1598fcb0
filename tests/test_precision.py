"""Precision on real code: each cause of a wrong finding seen on released packages, with the
VALID shape that must stay silent next to the INVALID one that must still be reported."""

from __future__ import annotations

from helpers import at, check, found, message, src, write_tree


# ----- RTL003: a follower matters only if it can raise what the layer retries on --------------
def test_followers_that_cannot_raise_the_retried_sdk_errors_are_not_failures_after_the_call():
    s = src(
        """
        import numpy as np
        import openai
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

        client = openai.OpenAI(max_retries=0)

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(),
               retry=retry_if_exception_type((openai.RateLimitError, openai.APIConnectionError)))
        def embed(texts, usage):
            response = client.embeddings.create(model="m", input=texts)
            usage.add_tokens(response.usage.total_tokens)
            return np.array([item.embedding for item in response.data])
        """
    )
    assert found(s) == []


def test_building_an_sdk_type_after_the_call_sends_nothing():
    s = src(
        """
        import openai
        from openai.types import CompletionUsage
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

        client = openai.OpenAI(max_retries=0)

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(openai.APIConnectionError))
        def ask(prompt):
            reply = client.chat.completions.create(model="m", messages=[])
            usage = CompletionUsage(prompt_tokens=1, completion_tokens=1, total_tokens=2)
            return reply, usage
        """
    )
    assert found(s) == []


def test_a_follower_in_the_same_sdk_can_raise_what_the_layer_retries_on():
    s = src(
        """
        import openai
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

        client = openai.OpenAI(max_retries=0)

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(openai.RateLimitError))
        def transcribe_and_upload(audio):
            text = client.audio.transcriptions.create(model="whisper-1", file=audio)
            client.files.create(file=text, purpose="batch")
            return text
        """
    )
    assert found(s) == [("RTL003", at(s, "@retry"))]
    assert "audio.transcriptions.create (billed again if client.files.create fails after it)" in message(s, "RTL003")


def test_followers_count_when_the_layer_retries_errors_anything_can_raise():
    s = src(
        """
        import numpy as np
        import openai
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

        client = openai.OpenAI(max_retries=0)

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type((openai.RateLimitError, ValueError)))
        def embed(texts):
            response = client.embeddings.create(model="m", input=texts)
            return np.array([item.embedding for item in response.data])
        """
    )
    assert found(s) == [("RTL003", at(s, "@retry"))]
    assert "billed again if np.array fails after it" in message(s, "RTL003")


PREDICATE_LAYER = """
    import numpy as np
    import openai
    from openai import APIConnectionError, APIStatusError, RateLimitError
    from tenacity import retry, retry_if_exception, retry_if_exception_type, stop_after_attempt, wait_exponential

    client = openai.AsyncOpenAI(max_retries=0)

    {predicates}

    @retry(stop=stop_after_attempt(3), wait=wait_exponential(),
           retry=retry_if_exception(retryable) | retry_if_exception_type(APIConnectionError))
    async def embed(texts, tracker):
        response = await client.embeddings.create(model="m", input=texts)
        tracker.add_usage(response.usage)
        return np.array([item.embedding for item in response.data])
"""


def test_a_predicate_bounded_by_isinstance_of_sdk_errors_is_not_rerun_by_other_followers():
    # lightrag's openai_embed: the predicates test isinstance(error, <openai error>) first
    for predicates in (
        """
    def retryable(error: BaseException) -> bool:
        \"\"\"Retry 429s, except permanent spend stops.\"\"\"
        return isinstance(error, RateLimitError) and not permanent(error)
        """,
        """
    def retryable(error):
        return isinstance(error, APIStatusError) and getattr(error, "status_code", None) in (408, 409) or False
        """,
        """
    def retryable(error):
        if not isinstance(error, (RateLimitError, APIStatusError)):
            return False
        return error.status_code >= 500 or "busy" in str(error)
        """,
    ):
        s = src(PREDICATE_LAYER.replace("{predicates}", predicates.strip()))
        assert found(s) == [], predicates


def test_a_predicate_that_may_accept_other_errors_still_counts_followers():
    for predicates in (
        """
    def retryable(error):
        return "rate limit" in str(error)
        """,
        """
    def retryable(error):
        return isinstance(error, RateLimitError) or isinstance(error, ValueError)
        """,
        """
    def retryable(error):
        if isinstance(error, RateLimitError):
            return True
        return "overloaded" in str(error)
        """,
    ):
        s = src(PREDICATE_LAYER.replace("{predicates}", predicates.strip()))
        assert found(s) == [("RTL003", at(s, "@retry"))], predicates
        assert "embeddings.create (billed again if tracker.add_usage, np.array fails after it)" in message(s, "RTL003")


DSP_LAYER = """
    import backoff
    from dsp import ERRORS, backoff_hdlr
    from openai import OpenAI

    class AzureModel:
        def __init__(self):
            self.client = OpenAI(max_retries=0)
            self.history = []

        def log_usage(self, response):
            self.tokens += response.usage.total_tokens

        @backoff.on_exception(backoff.expo, {retried}, max_time=1000, on_backoff=backoff_hdlr)
        def basic_request(self, prompt, **kwargs):
            response = self.client.chat.completions.create(messages=[prompt], **kwargs)
            self.log_usage(response)
            self.history.append({"prompt": prompt, "response": dict(response)})
            return response
"""


def test_a_library_tuple_of_rate_limit_errors_is_not_rerun_by_bookkeeping():
    # knowledge-storm's lm.py: dsp.ERRORS is dspy's (openai.RateLimitError,) (catalog exception_set)
    s = src(DSP_LAYER.replace("{retried}", "ERRORS"))
    assert found(s) == []


def test_a_retried_tuple_the_catalog_does_not_know_still_counts_followers():
    s = src(DSP_LAYER.replace("{retried}", "(ValueError, KeyError)"))
    assert found(s) == [("RTL003", at(s, "@backoff"))]
    assert "chat.completions.create (billed again if self.log_usage" in message(s, "RTL003")


def test_paid_calls_in_exclusive_branches_are_one_call_per_attempt():
    s = src(
        """
        import openai
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

        client = openai.OpenAI(max_retries=0)

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(ValueError))
        def ask(prompt, chat, db):
            if chat:
                reply = client.chat.completions.create(model="m", messages=[])
            else:
                reply = client.completions.create(model="m", prompt=prompt)
            db.save(reply)
        """
    )
    assert found(s) == [("RTL003", at(s, "@retry"))]
    text = message(s, "RTL003")
    assert "worst case: 3 attempts x 1 billable call = 3 billed calls;" in text
    assert "chat.completions.create (billed again if db.save fails after it)" in text


def test_exit_inside_except_keyboard_interrupt_is_not_a_failure_after_the_call():
    s = src(
        """
        import sys
        import time
        import openai

        client = openai.OpenAI(max_retries=0)

        def main():
            for attempt in range(3):
                try:
                    reply = client.chat.completions.create(model="m", messages=[])
                    return reply
                except KeyboardInterrupt:
                    sys.exit(1)
                except openai.RateLimitError:
                    time.sleep(2 ** attempt)
        """
    )
    assert found(s) == []


def test_a_call_in_the_loops_own_handler_is_no_follower_of_its_layer():
    """A failure in the ``except`` of a hand-written loop leaves the loop: that loop bills nothing again for it."""
    s = src(
        """
        import time
        import openai

        client = openai.OpenAI(max_retries=0)

        def main(db):
            for attempt in range(3):
                try:
                    reply = client.chat.completions.create(model="m", messages=[])
                    db.save(reply)
                    return reply
                except ValueError:
                    db.rollback()
                    time.sleep(2 ** attempt)
        """
    )
    assert found(s) == [("RTL003", at(s, "for attempt"))]
    assert "billed again if db.save fails after it)" in message(s, "RTL003")


def test_a_call_in_a_handler_under_a_decorator_layer_still_counts():
    """Under a layer around the whole function, a failure in the handler is retried by that layer."""
    s = src(
        """
        import openai
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

        client = openai.OpenAI(max_retries=0)

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(ConnectionError))
        def main(db):
            try:
                reply = client.chat.completions.create(model="m", messages=[])
                db.save(reply)
                return reply
            except ValueError:
                db.rollback()
        """
    )
    assert found(s) == [("RTL003", at(s, "@retry"))]
    assert "billed again if db.save, db.rollback fails after it" in message(s, "RTL003")


# ----- SDK retries switched off through data ------------------------------------------------
def test_num_retries_set_to_zero_in_the_params_dict_switches_the_sdk_retries_off():
    s = src(
        """
        import litellm
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(litellm.RateLimitError))
        def ask(prompt):
            params = {"model": "m", "messages": []}
            params["num_retries"] = 0
            return litellm.completion(**params)

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(litellm.RateLimitError))
        def ask_literal(prompt):
            options = {"model": "m", "messages": [], "num_retries": 0}
            return litellm.completion(**options)
        """
    )
    assert found(s) == []


def test_litellm_without_num_retries_still_retries_through_the_provider_sdk():
    s = src(
        """
        import litellm
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(litellm.RateLimitError))
        def ask(prompt):
            params = {"model": "m", "messages": []}
            params["temperature"] = 0
            return litellm.completion(**params)
        """
    )
    assert found(s) == [("RTL005", at(s, "@retry"))]
    assert "LiteLLM (provider SDK retries) (3: retries 2 by default) = up to 9 calls per run" in message(s, "RTL005")


def test_a_project_class_making_a_default_client_stacks_under_the_layer_above(tmp_path):
    write_tree(tmp_path, {
        "llm.py": """
            import openai


            class Assistant:
                def __init__(self):
                    self.client = openai.OpenAI()

                def ask(self, prompt):
                    return self.client.chat.completions.create(model="m", messages=[])
            """,
        "jobs.py": """
            import openai
            from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

            from llm import Assistant


            @retry(stop=stop_after_attempt(4), wait=wait_exponential(), retry=retry_if_exception_type(openai.RateLimitError))
            def answer(prompt):
                return Assistant().ask(prompt)
            """,
    })
    findings = check(tmp_path, "jobs.py")
    assert [(d["code"], d["line"]) for d in findings] == [("RTL005", 7)]
    assert "tenacity @retry on 'answer' (4) x OpenAI client (3: retries 2 by default) = up to 12 calls per run" in findings[0]["message"]


def test_tenacity_over_a_groq_client_stacks_with_its_two_retries():
    s = src(
        """
        import groq
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

        client = groq.Groq()

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(groq.RateLimitError))
        def ask(prompt):
            return client.chat.completions.create(model="m", messages=[])
        """
    )
    assert found(s) == [("RTL005", at(s, "@retry"))]
    assert "Groq client (3: retries 2 by default) = up to 9 calls per run" in message(s, "RTL005")


# ----- not billable: a local OpenAI-compatible server ------------------------------------------
def test_a_client_on_a_localhost_base_url_is_not_billable():
    s = src(
        """
        import openai
        from tenacity import retry, stop_after_attempt, wait_exponential

        local = openai.OpenAI(base_url="http://localhost:8000/v1", api_key="none")
        ollama = openai.OpenAI(base_url="http://127.0.0.1:11434/v1", api_key="ollama")

        @retry(stop=stop_after_attempt(3), wait=wait_exponential())
        def ask(prompt, db):
            reply = local.chat.completions.create(model="m", messages=[])
            db.save(reply)
            return ollama.chat.completions.create(model="m", messages=[])
        """
    )
    assert found(s) == []


# knowledge-storm 1.1.1 VLLMClient: the URL is built in __init__ from a parameter defaulting to localhost.
_VLLM = """
    import openai
    from tenacity import retry, stop_after_attempt, wait_exponential


    class VLLMClient:
        def __init__(self, model, port, url={url!r}, chat=False):
            self.base_url = f"{{url}}{sep}{{port}}/v1/"
            if chat:
                self.base_url += "chat/"
            self.client = openai.OpenAI(base_url=self.base_url, api_key="null")
    {more}
        @retry(stop=stop_after_attempt(3), wait=wait_exponential())
        def request(self, prompt):
            return self.client.chat.completions.create(model="m", messages=[])
    """


def test_a_client_on_a_url_a_parameter_defaults_to_localhost_is_not_billable():
    assert found(src(_VLLM.format(url="http://localhost", sep=":", more=""))) == []
    assert found(src(_VLLM.format(url="http://127.0.0.1", sep=":", more=""))) == []


def test_a_url_whose_known_start_leaves_the_host_open_or_remote_is_billable():
    for url, sep in [("http://localhost", ""), ("https://api.together.xyz", ":")]:
        s = src(_VLLM.format(url=url, sep=sep, more=""))
        assert found(s) == [("RTL002", at(s, "@retry")), ("RTL005", at(s, "@retry"))], url + sep
    more = """
        def point_at(self, url):
            self.base_url = url
    """
    s = src(_VLLM.format(url="http://localhost", sep=":", more=more))  # which assignment the client reads is not worked out
    assert found(s) == [("RTL002", at(s, "@retry")), ("RTL005", at(s, "@retry"))]


def test_a_client_on_a_remote_base_url_is_billable():
    s = src(
        """
        import openai
        from tenacity import retry, stop_after_attempt, wait_exponential

        remote = openai.OpenAI(base_url="https://api.together.xyz/v1", max_retries=0)

        @retry(stop=stop_after_attempt(3), wait=wait_exponential())
        def ask(prompt):
            return remote.chat.completions.create(model="m", messages=[])
        """
    )
    assert found(s) == [("RTL002", at(s, "@retry"))]


# ----- old SDK majors: openai<1 -----------------------------------------------------------------
def test_openai_before_1_has_no_sdk_retries_on_429_and_names_its_own_error_classes():
    s = src(
        """
        import openai
        from tenacity import retry, stop_after_attempt, wait_exponential

        @retry(stop=stop_after_attempt(3), wait=wait_exponential())
        def ask(prompt):
            return openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=[])
        """
    )
    assert found(s) == [("RTL002", at(s, "@retry"))]
    text = message(s, "RTL002")
    assert "stop at once on InvalidRequestError, AuthenticationError, PermissionError" in text
    # The fix imports that major's classes, and never shadows the builtin PermissionError.
    assert _fixed(s) == src(
        """
        import openai
        from tenacity import (
            retry,
            stop_after_attempt,
            wait_exponential,
            retry_if_not_exception_type,
        )
        from openai.error import InvalidRequestError, AuthenticationError
        import openai.error

        @retry(
            stop=stop_after_attempt(3),
            wait=wait_exponential(),
            retry=retry_if_not_exception_type(
                (InvalidRequestError, AuthenticationError, openai.error.PermissionError)
            ),
        )
        def ask(prompt):
            return openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=[])
        """
    )


def _fixed(source: str) -> str:
    from retrylint.engine import Engine
    from retrylint.settings import Settings

    engine = Engine(Settings(select=("RTL002",)))
    result = engine.fix_source(source, "tasks.py")
    assert [d.code for d in result.diagnostics] == []
    assert engine.fix_source(result.source, "tasks.py").applied == 0
    return result.source
