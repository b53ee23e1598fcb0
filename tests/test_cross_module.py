"""Reachability across modules: imports of every shape, re-exports, methods of project
classes, files outside the checked paths read on demand."""

from __future__ import annotations

from helpers import FLAT, check, write_tree

from retrylint.analysis.project import Project
from retrylint.catalog import load_catalog


def test_chain_through_three_modules(tmp_path):
    write_tree(tmp_path, FLAT)
    found = check(tmp_path, "tasks.py")
    assert [(d["code"], d["path"], d["line"]) for d in found] == [
        ("RTL002", "tasks.py", 6),
        ("RTL003", "tasks.py", 6),
    ]
    assert found[1]["chain"] == [
        {"path": "tasks.py", "line": 6, "name": "build_course", "via": ""},
        {"path": "pipeline.py", "line": 5, "name": "run_batch", "via": "import"},
        {"path": "llm.py", "line": 6, "name": "complete", "via": "import"},
        {"path": "llm.py", "line": 7, "name": "messages.create", "via": "import"},
    ]
    assert "build_course -> run_batch (pipeline.py:5) -> complete (llm.py:6) -> messages.create" in found[1]["message"]
    assert "runs in a loop, billed per item, billed again if save fails after it" in found[1]["message"]
    assert "up to 6 attempts" in found[0]["message"]


def test_sdk_retries_in_another_module_stack_without_a_fix_here(tmp_path):
    files = dict(FLAT)
    files["llm.py"] = FLAT["llm.py"].replace("anthropic.Anthropic(max_retries=0)", "anthropic.Anthropic()")
    write_tree(tmp_path, files)
    found = check(tmp_path, "tasks.py")
    rtl005 = [d for d in found if d["code"] == "RTL005"]
    assert len(rtl005) == 1
    assert "Celery task on 'build_course' (6) x Anthropic client (3: retries 2 by default) = up to 18 calls" in rtl005[0]["message"]
    assert rtl005[0]["fix"] is None


PACKAGE = {
    "app/__init__.py": "",
    "app/tasks.py": """
        from tenacity import retry, stop_after_attempt, wait_exponential

        from .services import Summarizer
        from . import storage


        @retry(stop=stop_after_attempt(3), wait=wait_exponential())
        def nightly(texts):
            service = Summarizer()
            for text in texts:
                storage.keep(service.summarize(text))
        """,
    "app/services/__init__.py": """
        from .summarizer import Summarizer

        __all__ = ["Summarizer"]
        """,
    "app/services/summarizer.py": """
        from app.clients import LLMClient


        class Base:
            def summarize(self, text):
                return self.client.complete(text)


        class Summarizer(Base):
            def __init__(self):
                self.client = LLMClient()
        """,
    "app/clients.py": """
        import openai


        class LLMClient:
            def __init__(self):
                self.openai = openai.OpenAI(max_retries=0)

            def complete(self, text):
                return self.openai.chat.completions.create(model="gpt-4o", messages=[])
        """,
    "app/storage.py": """
        def keep(summary):
            ...
        """,
}


def test_package_relative_imports_reexports_and_methods(tmp_path):
    write_tree(tmp_path, PACKAGE)
    found = check(tmp_path, "app/tasks.py")
    assert [(d["code"], d["line"]) for d in found] == [("RTL002", 7), ("RTL003", 7)]
    assert [link["name"] for link in found[1]["chain"]] == [
        "nightly", "summarize", "complete", "chat.completions.create",
    ]
    assert [link["path"] for link in found[1]["chain"]] == [
        "app/tasks.py", "app/services/summarizer.py", "app/clients.py", "app/clients.py",
    ]


def test_src_layout_and_checked_subfolder(tmp_path):
    write_tree(tmp_path, {f"src/{name}": text for name, text in PACKAGE.items()})
    (tmp_path / "pyproject.toml").write_text("[tool.retrylint]\n")
    found = check(tmp_path, "src/app/tasks.py")
    assert [(d["code"], d["path"]) for d in found] == [("RTL002", "src/app/tasks.py"), ("RTL003", "src/app/tasks.py")]


def test_cycles_between_modules_terminate(tmp_path):
    write_tree(tmp_path, {
        "a.py": """
            from tenacity import retry, stop_after_attempt, wait_fixed
            import b

            def ping(n):
                return b.pong(n)

            @retry(stop=stop_after_attempt(2), wait=wait_fixed(1))
            def start():
                for n in range(3):
                    ping(n)
            """,
        "b.py": """
            import litellm
            import a

            def pong(n):
                if n:
                    return a.ping(n - 1)
                return litellm.completion(model="gpt-4o", messages=[])
            """,
    })
    found = check(tmp_path, "a.py")
    assert [(d["code"], d["line"]) for d in found] == [("RTL002", 7), ("RTL003", 7), ("RTL005", 7)]


def test_unresolvable_and_broken_modules_are_skipped(tmp_path):
    write_tree(tmp_path, {
        "tasks.py": """
            from tenacity import retry, stop_after_attempt, wait_fixed
            import broken
            from missing import thing

            @retry(stop=stop_after_attempt(2), wait=wait_fixed(1))
            def job():
                broken.run()
                thing()
            """,
        "broken.py": "def run(:\n",
    })
    assert check(tmp_path, "tasks.py") == []


def test_shared_client_and_celery_app_imported_from_project_modules(tmp_path):
    write_tree(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            """,
        "proj/llm.py": """
            from openai import OpenAI

            client = OpenAI(max_retries=0)
            noisy = OpenAI()
            """,
        "proj/tasks.py": """
            from proj.celery import app
            from proj.llm import client, noisy


            @app.task(bind=True, max_retries=2)
            def quiet(self, text):
                try:
                    return client.chat.completions.create(model="m", messages=[])
                except ConnectionError as exc:
                    raise self.retry(exc=exc, countdown=5)


            @app.task
            def loud(text):
                return noisy.chat.completions.create(model="m", messages=[])


            @app.task(autoretry_for=(ConnectionError,), retry_backoff=True)
            def stacked(text):
                return noisy.chat.completions.create(model="m", messages=[])
            """,
    })
    found = check(tmp_path, "proj/tasks.py")
    assert [(d["code"], d["line"]) for d in found] == [("RTL005", 18)]
    assert "Celery task on 'stacked' (4) x OpenAI client (3: retries 2 by default) = up to 12 calls" in found[0]["message"]
    assert found[0]["fix"] is None


NAMESPACE_PACKAGE = {
    # llama-index's layout: llama_index/ and llama_index/llms/ have no __init__.py
    "llama_index/llms/openai/__init__.py": """
        from llama_index.llms.openai.base import OpenAI

        __all__ = ["OpenAI"]
        """,
    "llama_index/llms/openai/utils.py": """
        import openai
        from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential


        def create_retrying(max_retries):
            return Retrying(
                stop=stop_after_attempt(max_retries),
                wait=wait_exponential(),
                retry=retry_if_exception_type(openai.RateLimitError),
            )
        """,
    "llama_index/llms/openai/base.py": """
        from openai import OpenAI as SyncOpenAI

        from llama_index.llms.openai.utils import create_retrying


        class OpenAI:
            def _get_client(self) -> SyncOpenAI:
                return SyncOpenAI()

            def chat(self, messages):
                client = self._get_client()
                for attempt in create_retrying(3):
                    with attempt:
                        return client.chat.completions.create(model="m", messages=messages)
        """,
}


def test_a_namespace_package_named_like_the_sdk_is_not_the_sdk(tmp_path):
    """llama_index/llms/openai/base.py imports ``llama_index.llms.openai.utils``: it is the module
    ``llama_index.llms.openai.base`` (named from the project folder, not from llama_index/llms/,
    where ``openai`` would be its own package and its class OpenAI the SDK's client)."""
    write_tree(tmp_path, NAMESPACE_PACKAGE)
    found = check(tmp_path, "llama_index/llms/openai/base.py")
    assert [(d["code"], d["line"]) for d in found] == [("RTL005", 12)]
    assert found[0]["message"].startswith(
        "chat.completions.create runs under 2 retry layers: tenacity Retrying from create_retrying() (3) x OpenAI "
        "client (3: retries 2 by default) = up to 9 calls per run"
    )


def test_a_namespace_packages_module_is_named_from_the_folder_it_imports_itself_from(tmp_path):
    write_tree(tmp_path, {**NAMESPACE_PACKAGE, "scripts/run.py": "import openai\n", "tools/job.py": "from tools.x import y\n"})
    project = Project(load_catalog(), cwd=tmp_path)
    project.add_config_root(tmp_path)
    root = tmp_path.resolve()
    assert project.module_name_for(root / "llama_index/llms/openai/base.py") == ("llama_index.llms.openai.base", False, root)
    assert project.module_name_for(root / "llama_index/llms/openai/__init__.py") == ("llama_index.llms.openai", True, root)
    assert project.module_name_for(root / "scripts/run.py") == ("run", False, root / "scripts")
    assert project.module_name_for(root / "tools/job.py") == ("tools.job", False, root)


RETRYING_UTILS = """\
import time


class Retrying:
    def __init__(self, max_attempts=1, retry_predicate=None):
        self.max_attempts = max_attempts
        self.retry_predicate = retry_predicate

    def __call__(self, fn, *args, **kwargs):
        for attempt_number in range(1, self.max_attempts + 1):
            try:
                return fn(*args, **kwargs)
            except BaseException as e:
                should_retry = self.retry_predicate(e) if self.retry_predicate else False
                if not should_retry or attempt_number >= self.max_attempts:
                    raise
                time.sleep(2 ** attempt_number)
"""

RETRYING_MODELS = """\
from .utils import Retrying


class ApiModel:
    def __init__(self, client=None):
        self.client = client or self.create_client()
        self.retryer = Retrying(max_attempts=3, retry_predicate=lambda e: "429" in str(e))

    def create_client(self):
        raise NotImplementedError


class BedrockModel(ApiModel):
    def create_client(self):
        import boto3
        return boto3.client("bedrock-runtime")

    def generate(self, **kwargs):
        return self.retryer(self.client.converse, **kwargs)


class LocalModel(ApiModel):
    def create_client(self):
        import openai
        return openai.OpenAI(base_url="http://localhost:8000/v1")

    def generate(self, **kwargs):
        return self.retryer(self.client.chat.completions.create, **kwargs)
"""


def test_a_retrying_object_of_another_module_handed_the_client_a_subclass_makes(tmp_path):
    """smolagents 1.26.0 models.py: ``self.retryer`` is utils.Retrying, whose __call__ retries the
    callable it is handed; ``self.client`` is what the subclass's create_client() returns."""
    write_tree(tmp_path, {"pkg/__init__.py": "", "pkg/utils.py": RETRYING_UTILS, "pkg/models.py": RETRYING_MODELS})
    found = check(tmp_path, "pkg/models.py")
    assert [(d["code"], d["line"], d["message"]) for d in found] == [
        ("RTL005", 19, "converse runs under 2 retry layers: hand-written retry loop in Retrying.__call__ (3) x "
                       "boto3 bedrock-runtime client (3: retries 2 by default) = up to 9 calls per run; chain "
                       "generate -> converse (via attribute); let one layer retry"),
    ]
    assert found[0]["fix"] is None


def test_a_retry_condition_bound_in_another_module_is_read_there(tmp_path):
    """cognee: ``retry=llm_retry_condition``, bound to ``retry_if_exception(should_retry)`` in
    retry_config.py, whose isinstance exclusions are LiteLLM's while instructor wraps the errors."""
    write_tree(tmp_path, {
        "app/__init__.py": "",
        "app/retry_config.py": """
            import litellm
            from tenacity import retry_if_exception


            def should_retry(error):
                if isinstance(error, (litellm.NotFoundError, litellm.AuthenticationError)):
                    return False
                return True


            llm_retry_condition = retry_if_exception(should_retry)
            """,
        "app/adapter.py": """
            import instructor
            import litellm
            from pydantic import BaseModel
            from tenacity import retry, stop_after_attempt, wait_exponential

            from app.retry_config import llm_retry_condition

            client = instructor.from_litellm(litellm.completion)


            class Answer(BaseModel):
                text: str


            @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=llm_retry_condition)
            def ask(prompt):
                return client.chat.completions.create(response_model=Answer, messages=[])
            """,
    })
    found = [(d["code"], d["line"], d["message"]) for d in check(tmp_path, "app/adapter.py") if d["code"] == "RTL002"]
    assert found == [("RTL002", 15, "tenacity @retry on 'ask' (up to 3 attempts) retries billable ask -> "
                      "chat.completions.create, whose errors instructor re-raises as InstructorRetryException: its "
                      "non-retryable NotFoundError, AuthenticationError match none of them, so 400s and revoked keys "
                      "are retried; stop at once on InstructorRetryException or on what it was raised from")]


HANDED = {
    "lmi/__init__.py": "",
    "lmi/cost_tracker.py": """
        from functools import wraps


        def track_costs(func):
            @wraps(func)
            async def wrapped_func(*args, **kwargs):
                response = await func(*args, **kwargs)
                record(response)
                return response

            return wrapped_func
        """,
    "lmi/llms.py": """
        import litellm
        from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

        from lmi.cost_tracker import track_costs


        class Model:
            async def call(self, messages):
                return await self._run_with_fallbacks(self._dispatch, messages=messages)


        class LiteModel(Model):
            async def _dispatch(self, spec, *, messages):
                reply = await track_costs(litellm.acompletion)(model=spec, messages=messages)
                return reply.choices[0].message.content

            async def _run_with_fallbacks(self, attempt, /, *args, **kwargs):
                retrying = AsyncRetrying(stop=stop_after_attempt(4), wait=wait_exponential(),
                                         retry=retry_if_exception_type(litellm.RateLimitError))
                async for retry_attempt in retrying:
                    with retry_attempt:
                        return await attempt("gpt-4o", *args, **kwargs)
        """,
}


def test_callable_handed_to_the_layer_reaches_a_paid_call_through_a_wrapper_in_another_module(tmp_path):
    """fhlmi 1.10: the retried unit awaits the callable its caller hands it (self._dispatch), which
    calls what a cost tracker imported from another module wraps (track_costs(litellm.acompletion))."""
    write_tree(tmp_path, HANDED)
    found = check(tmp_path, "lmi/llms.py")
    assert [(d["code"], d["line"]) for d in found] == [("RTL005", 20)]
    assert found[0]["chain"] == [
        {"path": "lmi/llms.py", "line": 20, "name": "_run_with_fallbacks", "via": ""},
        {"path": "lmi/llms.py", "line": 13, "name": "_dispatch", "via": "handed callable"},
        {"path": "lmi/llms.py", "line": 14, "name": "acompletion", "via": "handed callable"},
    ]
    assert "tenacity Retrying (4) x LiteLLM (provider SDK retries) (3: retries 2 by default) = up to 12 calls" \
        in found[0]["message"]


STORED = {
    "pkg/__init__.py": "",
    "pkg/utils/__init__.py": "",
    "pkg/evals/__init__.py": "",
    "pkg/utils/runner.py": """
        import asyncio


        class RetryableError(Exception):
            pass


        class JobRunner:
            def __init__(self, jobs, run_job_fn, max_retries=0):
                self.jobs = jobs
                self.run_job_fn = run_job_fn
                self.max_retries = max_retries

            async def run(self):
                for job in self.jobs:
                    await self._run_one(job, self.run_job_fn)

            async def _run_one(self, job, run_job_fn):
                for attempt in range(3):
                    try:
                        return await run_job_fn(job)
                    except RetryableError:
                        await asyncio.sleep(2 ** attempt)
                return None

            async def run_direct(self, job):
                for attempt in range(3):
                    try:
                        return await self.run_job_fn(job)
                    except RetryableError:
                        await asyncio.sleep(2 ** attempt)
                return None
        """,
    "pkg/evals/evaluator.py": """
        import litellm

        from pkg.utils.runner import JobRunner


        class Evaluator:
            def __init__(self, jobs):
                self.jobs = jobs

            async def run(self):
                runner = JobRunner(self.jobs, run_job_fn=self.run_job, max_retries=2)
                await runner.run()

            async def run_job(self, job):
                answer = await litellm.acompletion(model="gpt-4o", messages=[{"role": "user", "content": job}])
                return answer.choices[0].message.content
        """,
    "pkg/evals/free.py": """
        from pkg.utils.runner import JobRunner


        def count(job):
            return len(job)


        async def tally(jobs, handler=None):
            await JobRunner(jobs, count).run()
            await JobRunner(jobs, handler or count).run()
            await JobRunner(jobs, lambda job: job).run()
        """,
}


def test_a_callable_handed_to_a_constructor_and_stored_on_self_is_what_the_retry_loop_runs(tmp_path):
    """kiln-ai 1.2 AsyncJobRunner(jobs, run_job_fn=self.run_job, max_retries=2): __init__ stores the
    callable on self, and the worker's loop calls it (handed self.run_job_fn, or as self.run_job_fn
    itself). What another module's construction hands it is what each attempt runs; the free
    function another construction hands it, a lambda and an expression it cannot name add nothing."""
    write_tree(tmp_path, STORED)
    found = check(tmp_path, "pkg/utils/runner.py")
    assert [(d["code"], d["line"]) for d in found] == [("RTL005", 19), ("RTL005", 27)]
    assert found[0]["message"] == (
        "acompletion runs under 2 retry layers: hand-written retry loop (3) x LiteLLM (provider SDK retries) "
        "(3: retries 2 by default) = up to 9 calls per run; chain _run_one -> run_job (pkg/evals/evaluator.py:14, "
        "via handed callable) -> acompletion; let one layer retry")
    assert found[1]["chain"] == [
        {"path": "pkg/utils/runner.py", "line": 27, "name": "run_direct", "via": ""},
        {"path": "pkg/evals/evaluator.py", "line": 14, "name": "run_job", "via": "handed callable"},
        {"path": "pkg/evals/evaluator.py", "line": 15, "name": "acompletion", "via": "import"},
    ]


def test_a_stored_callable_no_construction_hands_a_paid_function_reaches_nothing(tmp_path):
    files = {name: text for name, text in STORED.items() if name != "pkg/evals/evaluator.py"}
    write_tree(tmp_path, files)
    assert check(tmp_path, "pkg/utils/runner.py") == []


HANDLER_HELPERS = {
    "app/__init__.py": "",
    "app/waiting.py": """
        import time


        def backoff_wait(delay):
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline:
                time.sleep(0.05)
        """,
    "app/errors.py": """
        import logging

        import anthropic

        from app.waiting import backoff_wait

        logger = logging.getLogger(__name__)


        def handle_transient(e, attempt, attempts):
            should_retry = False
            if isinstance(e, anthropic.APIStatusError):
                should_retry = e.status_code >= 500 or e.status_code in (408, 409, 429)
            elif isinstance(e, anthropic.APIConnectionError):
                should_retry = True
            if not should_retry or attempt == attempts - 1:
                raise e
            backoff_wait(2 ** attempt)


        def note_failure(e, attempt, attempts):
            logger.warning("attempt %d of %d failed: %s", attempt + 1, attempts, e)
        """,
    "app/llm.py": """
        import functools

        import anthropic

        from app.errors import handle_transient, note_failure

        client = anthropic.Anthropic(max_retries=0)


        def retry_on_overloaded(func):
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                for attempt in range(4):
                    try:
                        return func(*args, **kwargs)
                    except Exception as e:
                        handle_transient(e, attempt, 4)
            return wrapper


        def retry_noting(func):
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                for attempt in range(4):
                    try:
                        return func(*args, **kwargs)
                    except Exception as e:
                        note_failure(e, attempt, 4)
            return wrapper


        @retry_on_overloaded
        def chat(prompt):
            return client.messages.create(model="m", max_tokens=10, messages=[])


        @retry_noting
        def chat_noted(prompt):
            return client.messages.create(model="m", max_tokens=10, messages=[])
        """,
}


def test_an_except_clauses_helper_in_another_module_classifies_and_waits(tmp_path):
    """gptme 0.35.1: ``except Exception as e: _handle_anthropic_transient_error(e, ...)``, which re-raises
    what is not transient and waits through ``backoff_wait`` (another module): no RTL002, no RTL006. A
    helper of another module that only logs is neither classifier nor wait."""
    write_tree(tmp_path, HANDLER_HELPERS)
    found = [(d["code"], d["line"], d["message"]) for d in check(tmp_path, "app/llm.py")]
    assert found == [
        ("RTL002", 37, "hand-written retry loop in retry_noting() on 'chat_noted' (up to 4 attempts) retries on broad "
                       "Exception around billable chat_noted -> messages.create and declares no non-retryable errors; "
                       "stop at once on BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError, "
                       "UnprocessableEntityError"),
        ("RTL006", 37, "hand-written retry loop in retry_noting() on 'chat_noted' (up to 4 attempts) retries billable "
                       "chat_noted -> messages.create without waiting between attempts; add exponential backoff with jitter"),
    ]


def test_a_lambda_handed_to_a_retrying_helper_of_another_module(tmp_path):
    """fast-graphrag 0.0.5 _llm_genai.py: ``await _execute_with_inner_retries(operation=lambda:
    self.client.aio.models.generate_content(...))`` under tenacity; here the helper lives in another
    module. The lambda's call is what the caller's layer retries, under the helper's loop (RTL005)."""
    write_tree(tmp_path, {
        "app/__init__.py": "",
        "app/retries.py": """
            import asyncio


            async def execute_with_inner_retries(operation, max_attempts=4):
                last = RuntimeError("no attempt")
                for attempt in range(max_attempts):
                    try:
                        return await operation()
                    except Exception as e:
                        last = e
                    await asyncio.sleep(0.2)
                raise last
            """,
        "app/service.py": """
            from google import genai
            from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

            from app.retries import execute_with_inner_retries


            class Service:
                def __init__(self, api_key):
                    self.client = genai.Client(api_key=api_key)

                @retry(stop=stop_after_attempt(8), wait=wait_exponential(), retry=retry_if_exception_type(Exception))
                async def send(self, prompt):
                    return await execute_with_inner_retries(
                        operation=lambda: self.client.aio.models.generate_content(model="m", contents=prompt),
                    )
            """,
    })
    found = [(d["code"], d["line"], d["message"]) for d in check(tmp_path, "app/service.py")]
    assert found == [
        ("RTL002", 11, "tenacity @retry on 'send' (up to 8 attempts) retries on broad Exception around billable send -> "
                       "aio.models.generate_content (via lambda handed) and declares no non-retryable errors; stop at "
                       "once on the errors that never heal"),
        ("RTL005", 11, "aio.models.generate_content runs under 2 retry layers: tenacity @retry on 'send' (8) x "
                       "hand-written retry loop (4 by default) = up to 32 calls per run; chain send -> "
                       "aio.models.generate_content (via lambda handed); let one layer retry"),
    ]
