"""Calls on a base class reach the implementations in its subclasses: a method abstract in the
class a receiver is declared as (``@abstractmethod``, a stub body, a Protocol's ``...``) runs the
overriding methods of the project's subclasses, found in the same module or anywhere in the
package, and the chain names the implementation (``via subclass OpenAILLM``). VALID cases of the
same shapes stay silent: a concrete base method, implementations that bill nothing, a class that
only shares the base's name."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from retrylint.engine import Engine
from retrylint.settings import Settings

RETRIED = """\
from tenacity import retry, stop_after_attempt, wait_exponential

from app.llm.base import BaseLLM


class Summarizer:
    llm: BaseLLM

    @retry(stop=stop_after_attempt(3), wait=wait_exponential())
    def summarize(self, text):
        return self.llm.ask(text)
"""
LAYER_LINE = 9

ABSTRACT_BASE = """\
from abc import ABC, abstractmethod


class BaseLLM(ABC):
    def ask(self, text):
        return self.complete([text])

    @abstractmethod
    def complete(self, messages):
        \"\"\"Implemented by each provider.\"\"\"
"""

OPENAI_SUBCLASS = """\
import openai

from app.llm.base import BaseLLM


class OpenAILLM(BaseLLM):
    def __init__(self):
        self.client = openai.OpenAI(max_retries=0)

    def complete(self, messages):
        return self.client.chat.completions.create(model="gpt-4o", messages=messages)
"""


def stub_base(body: str, bases: str = "") -> str:
    """A base class whose ``complete`` has ``body`` (a stub of some kind)."""
    head = "from typing import Protocol\n\n\n" if "Protocol" in bases else ""
    return head + f"class BaseLLM{bases}:\n    def ask(self, text):\n        return self.complete([text])\n\n" \
        f"    def complete(self, messages):\n{textwrap.indent(body, '        ')}\n"


# name -> files of the package app/ besides app/tasks.py (RETRIED), and the implementing class
INVALID = {
    "abstractmethod": ({"llm/base.py": ABSTRACT_BASE, "llm/openai_llm.py": OPENAI_SUBCLASS}, "OpenAILLM"),
    "stub-ellipsis": ({"llm/base.py": stub_base("..."), "llm/openai_llm.py": OPENAI_SUBCLASS}, "OpenAILLM"),
    "stub-pass": ({"llm/base.py": stub_base("pass"), "llm/openai_llm.py": OPENAI_SUBCLASS}, "OpenAILLM"),
    "stub-not-implemented": (
        {"llm/base.py": stub_base('"""Each provider."""\nraise NotImplementedError("complete")'),
         "llm/openai_llm.py": OPENAI_SUBCLASS}, "OpenAILLM",
    ),
    "protocol": (
        {"llm/base.py": stub_base("...", "(Protocol)"), "llm/openai_llm.py": OPENAI_SUBCLASS}, "OpenAILLM",
    ),
    "grandchild-in-another-subpackage": (
        {
            "llm/base.py": ABSTRACT_BASE,
            "llm/chat.py": "from app.llm.base import BaseLLM\n\n\nclass ChatLLM(BaseLLM):\n    pass\n",
            "providers/openai_llm.py": OPENAI_SUBCLASS.replace("from app.llm.base import BaseLLM", "from app.llm.chat import ChatLLM")
            .replace("(BaseLLM)", "(ChatLLM)"),
        },
        "OpenAILLM",
    ),
    "reexported-base": (
        {
            "llm/__init__.py": "from app.llm.base import BaseLLM\n",
            "llm/base.py": ABSTRACT_BASE,
            "llm/openai_llm.py": OPENAI_SUBCLASS.replace("from app.llm.base import BaseLLM", "from app.llm import BaseLLM"),
        },
        "OpenAILLM",
    ),
}

VALID = {
    "implementation-bills-nothing": {
        "llm/base.py": ABSTRACT_BASE,
        "llm/echo.py": "from app.llm.base import BaseLLM\n\n\nclass EchoLLM(BaseLLM):\n"
                       "    def complete(self, messages):\n        return messages[-1]\n",
    },
    "concrete-base-method-overridden": {  # the base's own method may be what runs: not followed
        "llm/base.py": stub_base("return messages[-1]"),
        "llm/openai_llm.py": OPENAI_SUBCLASS,
    },
    "same-name-other-base": {  # a subclass of another class named BaseLLM
        "llm/base.py": ABSTRACT_BASE,
        "vendor/base.py": ABSTRACT_BASE,
        "llm/openai_llm.py": OPENAI_SUBCLASS.replace("app.llm.base", "app.vendor.base"),
    },
    "subclass-leaves-it-abstract": {
        "llm/base.py": ABSTRACT_BASE,
        "llm/openai_llm.py": OPENAI_SUBCLASS.replace("    def complete(self, messages):\n        return",
                                                     "    def complete(self, messages):\n        ...\n\n    def other(self, messages):\n        return"),
    },
}


def lint_package(tmp_path: Path, files: dict[str, str]) -> list:
    for name, text in {"__init__.py": "", "llm/__init__.py": "", "tasks.py": RETRIED, **files}.items():
        path = tmp_path / "app" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(text)
    tasks = tmp_path / "app" / "tasks.py"
    return Engine(Settings(root=tmp_path)).lint_source(RETRIED, str(tasks))


@pytest.mark.parametrize("case", sorted(INVALID))
def test_a_call_on_the_base_reaches_the_subclass_implementation(tmp_path, case):
    files, implementation = INVALID[case]
    diagnostics = lint_package(tmp_path, files)
    assert [(d.code, d.line) for d in diagnostics] == [("RTL002", LAYER_LINE)], [d.message for d in diagnostics]
    chain = [(link.name, link.via) for link in diagnostics[0].chain]
    assert chain == [("summarize", ""), ("ask", "attribute"), ("complete", f"subclass {implementation}"),
                     ("chat.completions.create", "attribute")]
    subclass_file = next(name for name, text in files.items() if f"class {implementation}" in text)
    assert diagnostics[0].chain[2].path.endswith(f"app/{subclass_file}")
    assert f"complete (" in diagnostics[0].message and f", via subclass {implementation})" in diagnostics[0].message


def test_the_message_names_the_implementation(tmp_path):
    diagnostics = lint_package(tmp_path, INVALID["abstractmethod"][0])
    base, subclass = tmp_path / "app/llm/base.py", tmp_path / "app/llm/openai_llm.py"
    assert diagnostics[0].message == (
        "tenacity @retry on 'summarize' (up to 3 attempts) retries on every exception around billable summarize -> "
        f"ask ({base.as_posix()}:5, via attribute) -> complete ({subclass.as_posix()}:10, via subclass OpenAILLM) -> "
        "chat.completions.create (via attribute) and declares no non-retryable errors; stop at once on "
        "BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError, UnprocessableEntityError"
    )


@pytest.mark.parametrize("case", sorted(VALID))
def test_other_shapes_stay_silent(tmp_path, case):
    diagnostics = lint_package(tmp_path, VALID[case])
    assert [(d.code, d.message) for d in diagnostics] == []


ONE_MODULE = """\
from abc import ABC, abstractmethod

import anthropic
from tenacity import retry, stop_after_attempt, wait_exponential


class BaseLLM(ABC):
    @abstractmethod
    def complete(self, text): ...


class AnthropicLLM(BaseLLM):
    def __init__(self):
        self.client = anthropic.Anthropic()

    def complete(self, text):
        reply = self.client.messages.create(model="m", max_tokens=5, messages=[text])
        return reply


class EchoLLM(BaseLLM):
    def complete(self, text):
        return text


class Action:
    llm: BaseLLM


class Review(Action):
    @retry(stop=stop_after_attempt(3), wait=wait_exponential())
    def run(self, text):
        first = self.llm.complete(text)
        return self.llm.complete(first)
"""


def test_one_module_base_attribute_used_in_a_subclass_method():
    diagnostics = Engine(Settings()).lint_source(ONE_MODULE, "tasks.py")
    assert [(d.code, d.line) for d in diagnostics] == [("RTL002", 31), ("RTL003", 31), ("RTL005", 31)]
    assert diagnostics[1].message.startswith(
        "tenacity @retry on 'run' (up to 3 attempts) can re-run billable calls that already succeeded: "
        "messages.create (billed again if self.llm.complete fails after it); worst case: 3 attempts x 2 billable calls"
    )
    assert "run -> complete (tasks.py:16, via subclass AnthropicLLM) -> messages.create (via attribute)" in diagnostics[1].message
    assert diagnostics[2].message.startswith(
        "messages.create runs under 2 retry layers: tenacity @retry on 'run' (3) x Anthropic client (3: retries 2 by default)"
    )


PROPERTY = """\
import openai
from tenacity import retry, stop_after_attempt, wait_exponential


class BaseLLM:
    def complete(self, text):
        raise NotImplementedError


class OpenAILLM(BaseLLM):
    client = openai.OpenAI(max_retries=0)

    def complete(self, text):
        return self.client.chat.completions.create(model="m", messages=[text])


class Mixin:
    @property
    def llm(self) -> BaseLLM:
        return self._llm

    @llm.setter
    def llm(self, value: BaseLLM) -> None:
        self._llm = value


class Action(Mixin):
    @retry(stop=stop_after_attempt(3), wait=wait_exponential())
    def run(self, text):
        return self.llm.complete(text)
"""


def test_a_property_with_a_setter_is_read_through_its_getter():
    diagnostics = Engine(Settings()).lint_source(PROPERTY, "tasks.py")
    assert [(d.code, d.line) for d in diagnostics] == [("RTL002", 28)]
    assert [(link.name, link.via) for link in diagnostics[0].chain] == [
        ("run", ""), ("complete", "subclass OpenAILLM"), ("chat.completions.create", "attribute")]


def test_a_new_subclass_is_seen_after_the_project_forgets_its_file(tmp_path):
    files = dict(INVALID["abstractmethod"][0])
    subclass = files.pop("llm/openai_llm.py")
    engine = Engine(Settings(root=tmp_path))
    lint_package(tmp_path, files)
    tasks = str(tmp_path / "app/tasks.py")
    assert engine.lint_source(RETRIED, tasks) == []
    added = tmp_path / "app/llm/openai_llm.py"
    added.write_text(subclass)
    engine.project.forget(added)
    assert [d.code for d in engine.lint_source(RETRIED, tasks)] == ["RTL002"]


def test_findings_do_not_depend_on_which_file_is_checked_first(tmp_path, monkeypatch):
    import retrylint.runner as runner
    from retrylint.runner import CheckOptions, run_check

    lint_package(tmp_path, INVALID["grandchild-in-another-subpackage"][0])
    monkeypatch.chdir(tmp_path)

    def findings(*paths: str) -> list[dict]:
        monkeypatch.setattr(runner, "_ENGINES", {})
        outcome = run_check([Path(p) for p in paths], CheckOptions(jobs=1, isolated=True))
        return [d.to_json() for d in outcome.diagnostics if d.path.endswith("tasks.py")]

    alone = findings("app/tasks.py")
    assert [d["code"] for d in alone] == ["RTL002"]
    assert findings("app/providers/openai_llm.py", "app/llm/chat.py", "app/llm/base.py", "app/tasks.py") == alone


def test_a_cached_result_is_checked_again_when_a_subclass_appears_or_changes(tmp_path, monkeypatch):
    import retrylint.runner as runner
    from retrylint.runner import CheckOptions, run_check

    files = dict(INVALID["abstractmethod"][0])
    subclass = files.pop("llm/openai_llm.py")
    lint_package(tmp_path, files)
    monkeypatch.chdir(tmp_path)

    def codes() -> list[str]:
        monkeypatch.setattr(runner, "_ENGINES", {})
        outcome = run_check([Path("app/tasks.py")], CheckOptions(jobs=1, cache_dir=Path(".cache")))
        return [d.code for d in outcome.diagnostics]

    assert codes() == codes() == []
    added = tmp_path / "app/llm/openai_llm.py"
    added.write_text(subclass.replace("OpenAILLM(BaseLLM)", "OpenAILLM"))  # not a subclass yet
    assert codes() == []
    added.write_text(subclass)
    assert codes() == codes() == ["RTL002"]
    added.unlink()
    assert codes() == []


LIBRARY_LLM = """\
from abc import abstractmethod


class LLM:
    @abstractmethod
    async def achat(self, messages):
        \"\"\"Each provider package implements it.\"\"\"

    async def apredict(self, prompt):
        return await self.achat([prompt])
"""

LIBRARY_EXTRACTOR = """\
from tenacity import retry, stop_after_attempt, wait_exponential

from llama_index.core.llms import LLM


class Extractor:
    llm: LLM

    @retry(stop=stop_after_attempt(3), wait=wait_exponential())
    async def extract(self, text):
        return await self.llm.{call}([text])
"""


def lint_library(tmp_path: Path, call: str) -> list:
    """Checking llama-index-core itself: its own ``LLM`` is the one the catalog names."""
    files = {"__init__.py": "", "core/__init__.py": "", "core/llms/__init__.py": "from llama_index.core.llms.llm import LLM\n",
             "core/llms/llm.py": LIBRARY_LLM, "core/extractor.py": LIBRARY_EXTRACTOR.format(call=call)}
    for name, text in files.items():
        path = tmp_path / "llama_index" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    extractor = tmp_path / "llama_index/core/extractor.py"
    return Engine(Settings(root=tmp_path)).lint_source(extractor.read_text(), str(extractor))


def test_the_librarys_own_abstract_method_is_the_catalogued_paid_call(tmp_path):
    diagnostics = lint_library(tmp_path, "achat")
    assert [(d.code, d.line) for d in diagnostics] == [("RTL002", 9)]
    assert "around billable extract -> achat (via attribute) and declares no non-retryable errors" in diagnostics[0].message


def test_the_librarys_own_concrete_method_is_followed_as_project_code(tmp_path):
    """``apredict`` is concrete in the library: its body runs, and the abstract ``achat`` it calls bills."""
    diagnostics = lint_library(tmp_path, "apredict")
    assert [(d.code, d.line) for d in diagnostics] == [("RTL002", 9)]
    assert "around billable extract -> apredict (" in diagnostics[0].message
    assert "llm.py:9, via attribute) -> achat and declares no non-retryable errors" in diagnostics[0].message
