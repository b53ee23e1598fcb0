"""Client type flow: a receiver's class from factories, annotations, containers, attributes and
framework base classes, in one module and across modules; each chain says how its last link was
resolved. VALID cases of the same shapes stay silent."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from retrylint.engine import Engine
from retrylint.settings import Settings

LAYER = """\
from tenacity import retry, stop_after_attempt, wait_exponential
"""
RETRY = "@retry(stop=stop_after_attempt(3), wait=wait_exponential())"

# name -> (client-side code, retried code using it, billable call name, how the link resolves)
INVALID = {
    "factory-annotation": (
        """
        import openai

        def get_client() -> openai.OpenAI:
            return build()
        """,
        "def run():\n    get_client().chat.completions.create(model='m', messages=[])",
        "chat.completions.create", "factory return",
    ),
    "factory-conditional-cached": (
        """
        import functools
        from openai import AzureOpenAI, OpenAI

        @functools.lru_cache
        def get_client(azure=False):
            return AzureOpenAI() if azure else OpenAI()
        """,
        "def run():\n    client = get_client()\n    client.chat.completions.create(model='m', messages=[])",
        "chat.completions.create", "factory return",
    ),
    "parameter-optional": (
        """
        from typing import Optional

        from openai import OpenAI

        def ask(client: Optional[OpenAI], text):
            return client.chat.completions.create(model='m', messages=[text])
        """,
        "def run(client):\n    ask(client, 'x')\n    print('done')",
        "chat.completions.create", "annotation",
    ),
    "string-annotation-type-checking": (
        """
        from __future__ import annotations
        from typing import TYPE_CHECKING, Annotated

        if TYPE_CHECKING:
            from anthropic import Anthropic

        def ask(client: "Annotated[Anthropic | None, 'x']", text):
            return client.messages.create(model='m', max_tokens=5, messages=[text])
        """,
        "def run(client):\n    ask(client, 'x')\n    print('done')",
        "messages.create", "annotation",
    ),
    "dict-of-clients": (
        """
        from typing import Dict

        import openai

        CLIENTS: Dict[str, openai.OpenAI] = {}

        def ask(key, text):
            CLIENTS[key].embeddings.create(model='m', input=text)
            return CLIENTS.get(key).embeddings.create(model='m', input=text)
        """,
        "def run():\n    ask('a', 'x')",
        "embeddings.create", "annotation",
    ),
    "dict-attribute-get-alone": (
        """
        from typing import Dict

        import openai

        class Service:
            def __init__(self):
                self.clients: Dict[str, openai.OpenAI] = {}

            def ask(self, key, text):
                return self.clients.get(key).chat.completions.create(model='m', messages=[text])
        """,
        "def run():\n    Service().ask('a', 'x')",
        "chat.completions.create", "annotation",
    ),
    "literal-pool-of-clients": (
        """
        import anthropic
        import openai

        POOL = {"gpt": openai.OpenAI(), "claude": anthropic.Anthropic()}

        def ask(key, text):
            client = POOL.get(key)
            return client.chat.completions.create(model='m', messages=[text])
        """,
        "def run():\n    ask('gpt', 'x')",
        "chat.completions.create", "import",
    ),
    "lazy-attribute-through-property": (
        """
        import openai

        class Service:
            def __init__(self):
                self._client = None

            @property
            def client(self):
                if self._client is None:
                    self._client = openai.OpenAI()
                return self._client

            def ask(self, text):
                return self.client.chat.completions.create(model='m', messages=[text])
        """,
        "def run():\n    Service().ask('x')",
        "chat.completions.create", "attribute",
    ),
    "base-sets-subclass-uses-getattr-or": (
        """
        import anthropic

        class Base:
            def setup(self):
                self.client = anthropic.Anthropic()

        class Worker(Base):
            def ask(self, text):
                client = getattr(self, "client") or anthropic.Anthropic()
                return client.messages.create(model='m', max_tokens=5, messages=[text])
        """,
        "def run():\n    Worker().ask('x')",
        "messages.create", "attribute",
    ),
    "pydantic-field": (
        """
        from anthropic import Anthropic
        from pydantic import BaseModel, Field

        class Settings(BaseModel):
            client: Anthropic = Field(default_factory=Anthropic)

        def ask(settings: Settings, text):
            return settings.client.messages.create(model='m', max_tokens=5, messages=[text])
        """,
        "def run(settings):\n    ask(settings, 'x')\n    print('done')",
        "messages.create", "attribute",
    ),
    "langchain-base-annotation-in-wrapper": (
        """
        from langchain_core.language_models import BaseChatModel

        class Summarizer:
            def __init__(self, llm: BaseChatModel):
                self.llm = llm

            def summarize(self, text):
                return self.llm.invoke(text)
        """,
        "def run(llm):\n    Summarizer(llm).summarize('x')\n    print('done')",
        "invoke", "attribute",
    ),
    "langchain-project-subclass": (
        """
        from langchain_core.language_models.chat_models import BaseChatModel

        class HouseChat(BaseChatModel):
            pass

        def summarize(text):
            return HouseChat().invoke(text)
        """,
        "def run():\n    summarize('x')\n    print('done')",
        "invoke", "import",
    ),
    "litellm-router": (
        """
        from litellm import Router

        router = Router(model_list=[])

        def ask(text):
            return router.completion(model='m', messages=[text])
        """,
        "def run():\n    ask('x')\n    print('done')",
        "completion", "import",
    ),
    "closure-in-a-method-sees-self": (
        """
        import openai

        class Service:
            def __init__(self):
                self.client = openai.OpenAI()

            def ask(self, text):
                def call(**kwargs):
                    return self.client.chat.completions.create(**kwargs)
                return call(model='m', messages=[text])
        """,
        "def run():\n    Service().ask('x')\n    print('done')",
        "chat.completions.create", "attribute",
    ),
    "attribute-set-in-branches-one-billable": (
        """
        import groq
        import openai

        class Service:
            def __init__(self, fast):
                if fast:
                    self.client = groq.Groq()
                else:
                    self.client = openai.OpenAI()

            def ask(self, text):
                create = self.client.completions.create
                return create(model='m', prompt=text)
        """,
        "def run():\n    Service(False).ask('x')\n    print('done')",
        "completions.create", "attribute",
    ),
    "lazy-module-proxy": (
        """
        import importlib

        class LazyLiteLLM:
            _lazy_module = None

            def __getattr__(self, name):
                if self._lazy_module is None:
                    self._lazy_module = importlib.import_module("litellm")
                return getattr(self._lazy_module, name)

        litellm = LazyLiteLLM()

        def ask(text):
            return litellm.completion(model='m', messages=[text])
        """,
        "def run():\n    ask('x')\n    print('done')",
        "completion", "attribute",
    ),
    "pydantic-validator-sets-the-client": (
        """
        from typing import Any, Dict

        import cohere
        from langchain_core.language_models.llms import LLM
        from pydantic import model_validator

        class Service(LLM):
            client: Any = None

            @model_validator(mode="before")
            @classmethod
            def build_client(cls, values: Dict) -> Dict:
                values["client"] = cohere.Client(api_key=values.get("key"))
                return values

        def ask(service: Service, text):
            return service.client.chat(message=text)
        """,
        "def run(service):\n    ask(service, 'x')\n    print('done')",
        "chat", "attribute",
    ),
    "langchain-instance-called": (
        """
        from langchain.chat_models.base import BaseChatModel

        def get_client() -> BaseChatModel:
            return build()

        def ask(text):
            llm = get_client()
            return llm([text])
        """,
        "def run():\n    ask('x')\n    print('done')",
        "BaseChatModel.__call__", "factory return",
    ),
    "camel-chat-agent-step": (
        """
        from camel.agents import ChatAgent

        class Summarizer:
            def __init__(self, agent: ChatAgent):
                self.agent = agent

            def summarize(self, text):
                return self.agent.step(text)
        """,
        "def run(agent):\n    Summarizer(agent).summarize('x')\n    print('done')",
        "step", "attribute",
    ),
    "property-with-setter": (
        """
        import openai

        class Service:
            def __init__(self):
                self._client = openai.OpenAI(max_retries=0)

            @property
            def client(self) -> openai.OpenAI:
                return self._client

            @client.setter
            def client(self, value) -> None:
                self._client = value

            def ask(self, text):
                return self.client.chat.completions.create(model='m', messages=[text])
        """,
        "def run():\n    Service().ask('x')",
        "chat.completions.create", "attribute",
    ),
}

VALID = {
    "factory-of-something-else": (
        """
        def get_client() -> dict:
            return {}
        """,
        "def run():\n    get_client().chat.completions.create(model='m', messages=[])",
    ),
    "parameter-annotated-otherwise": (
        """
        from typing import Optional

        def ask(client: Optional[str], text):
            return client.chat.completions.create(model='m', messages=[text])
        """,
        "def run(client):\n    ask(client, 'x')\n    print('done')",
    ),
    "dict-of-strings": (
        """
        from typing import Dict

        CLIENTS: Dict[str, str] = {}

        def ask(key, text):
            return CLIENTS.get(key).embeddings.create(model='m', input=text)
        """,
        "def run():\n    ask('a', 'x')",
    ),
    "literal-pool-of-recorders": (
        """
        class Recorder:
            pass

        POOL = [Recorder(), Recorder()]

        def ask(key, text):
            return POOL[key].chat.completions.create(model='m', messages=[text])
        """,
        "def run():\n    ask(0, 'x')",
    ),
    "lazy-attribute-of-another-class": (
        """
        class Service:
            def __init__(self):
                self._client = None

            @property
            def client(self):
                if self._client is None:
                    self._client = Recorder()
                return self._client

            def ask(self, text):
                return self.client.chat.completions.create(model='m', messages=[text])

        class Recorder:
            pass
        """,
        "def run():\n    Service().ask('x')",
    ),
    "project-class-with-invoke": (
        """
        class Pipeline:
            def invoke(self, text):
                return text

        def summarize(text):
            return Pipeline().invoke(text)
        """,
        "def run():\n    summarize('x')\n    print('done')",
    ),
    "closure-with-its-own-self": (
        """
        import openai

        class Service:
            def __init__(self):
                self.client = openai.OpenAI()

            def ask(self, text):
                def call(self, **kwargs):
                    return self.client.completions.create(**kwargs)
                return call(Recorder(), prompt=text)

        class Recorder:
            pass
        """,
        "def run():\n    Service().ask('x')\n    print('done')",
    ),
    "proxy-of-no-single-module": (
        """
        import importlib

        class Either:
            def __getattr__(self, name):
                module = importlib.import_module("litellm") if name else importlib.import_module("recorder")
                return getattr(module, name)

        litellm = Either()

        def ask(text):
            return litellm.completion(model='m', messages=[text])
        """,
        "def run():\n    ask('x')\n    print('done')",
    ),
    "validator-that-returns-something-else": (
        """
        from typing import Any, Dict

        import cohere
        from pydantic import BaseModel, model_validator

        class Service(BaseModel):
            client: Any = None

            @model_validator(mode="before")
            @classmethod
            def build_client(cls, values: Dict) -> Dict:
                values["client"] = cohere.Client()
                return {"client": None}

        def ask(service: Service, text):
            return service.client.chat(message=text)
        """,
        "def run(service):\n    ask(service, 'x')\n    print('done')",
    ),
    "langchain-base-class-called-not-an-instance": (
        """
        from langchain.chat_models.base import BaseChatModel

        def ask(text):
            return BaseChatModel(text)
        """,
        "def run():\n    ask('x')\n    print('done')",
    ),
    "project-class-with-step": (
        """
        class Agent:
            def step(self, text):
                return text

        class Summarizer:
            def __init__(self, agent: Agent):
                self.agent = agent

            def summarize(self, text):
                return self.agent.step(text)
        """,
        "def run(agent):\n    Summarizer(agent).summarize('x')\n    print('done')",
    ),
}


def lint_tree(tmp_path: Path, client_code: str, retried: str, split: bool):
    client_code = textwrap.dedent(client_code).lstrip("\n")
    retried = f"{RETRY}\n{retried}\n"
    if split:
        (tmp_path / "llm.py").write_text(client_code)
        names = [n for n in ("get_client", "ask", "Service", "Worker", "summarize") if f" {n}(" in client_code or f"class {n}" in client_code]
        if "Summarizer" in client_code:
            names.append("Summarizer")
        source = LAYER + f"from llm import {', '.join(names)}\n\n\n" + retried
    else:
        source = client_code + "\n\n" + LAYER + "\n\n" + retried
    path = tmp_path / "tasks.py"
    path.write_text(source)
    diagnostics = Engine(Settings(root=tmp_path)).lint_source(source, str(path))
    return source, diagnostics


@pytest.mark.parametrize("split", [False, True], ids=["one-module", "across-modules"])
@pytest.mark.parametrize("case", sorted(INVALID))
def test_client_type_flow_reaches_the_paid_call(tmp_path, case, split):
    client_code, retried, call, via = INVALID[case]
    source, diagnostics = lint_tree(tmp_path, client_code, retried, split)
    layer_line = source.splitlines().index(RETRY) + 1
    rtl002 = [d for d in diagnostics if d.code == "RTL002"]
    assert [d.line for d in rtl002] == [layer_line], [(d.code, d.message) for d in diagnostics]
    last = rtl002[0].chain[-1]
    assert (last.name, last.via) == (call, via)
    assert last.to_json()["via"] == via
    shown = f"{call} (via {via})" if via != "import" else call
    assert shown in rtl002[0].message


@pytest.mark.parametrize("split", [False, True], ids=["one-module", "across-modules"])
@pytest.mark.parametrize("case", sorted(VALID))
def test_receivers_of_other_types_stay_silent(tmp_path, case, split):
    client_code, retried = VALID[case]
    _, diagnostics = lint_tree(tmp_path, client_code, retried, split)
    assert [(d.code, d.message) for d in diagnostics if d.code != "RTL001"] == []
