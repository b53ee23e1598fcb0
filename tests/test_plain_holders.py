"""RTL003 and a class made after the paid call, defined in another module: a class whose
``__init__`` only stores its arguments cannot fail; one whose ``__init__`` checks can."""

from pathlib import Path

import pytest

from retrylint.engine import Engine
from retrylint.settings import Settings

TASKS = """import openai
from openai import OpenAI
from tenacity import retry, stop_after_attempt, wait_exponential, retry_if_not_exception_type

from replies import Reply

client = OpenAI(max_retries=0)


@retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_not_exception_type(openai.BadRequestError))
def summarize(text):
    reply = client.chat.completions.create(model="gpt-4o", messages=[])
    return Reply(reply.choices[0].message.content)
"""

HOLDER = '''class Reply:
    """The reply's text."""

    def __init__(self, text):
        self.text = text
'''

CHECKER = '''class Reply:
    def __init__(self, text):
        if not text:
            raise ValueError("empty reply")
        self.text = text
'''


def rtl003_lines(tmp_path: Path, replies: str) -> list[tuple[int, str]]:
    (tmp_path / "replies.py").write_text(replies)
    path = tmp_path / "tasks.py"
    path.write_text(TASKS)
    diagnostics = Engine(Settings(root=tmp_path)).lint_source(TASKS, str(path))
    return [(d.line, d.message.split(" (billed again if ")[1].split(")")[0]) for d in diagnostics if d.code == "RTL003"]


@pytest.mark.parametrize(("replies", "expected"), [
    (HOLDER, []),
    (CHECKER, [(10, "Reply fails after it")]),
], ids=["stores-its-arguments", "checks-its-argument"])
def test_a_class_from_another_module_after_the_paid_call(tmp_path, replies, expected):
    assert rtl003_lines(tmp_path, replies) == expected
