"""Names spelled so that a text search misses them but Python does not: identifiers are
NFKC-normalised (``ｃｌｉｅｎｔ`` is ``client``, ``ｒｅｔｒｙ`` is ``retry``), and a star import binds
every public name of the module."""

from __future__ import annotations

from helpers import src

from retrylint.engine import Engine
from retrylint.settings import Settings


def fullwidth(word: str) -> str:
    """``word`` in fullwidth letters (U+FF41...), which NFKC turns back into ASCII."""
    return "".join(chr(ord(char) + 0xFEE0) if char.isalnum() or char == "_" else char for char in word)


PAID = src(
    """
    from openai import OpenAI
    from tenacity import retry

    client = OpenAI()


    @retry
    def ask(prompt):
        return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])
    """
)
PAID_FINDINGS = [("RTL001", 7), ("RTL002", 7), ("RTL005", 7), ("RTL006", 7)]


def findings(source: str) -> list[tuple[str, int]]:
    return sorted((d.code, d.line) for d in Engine(Settings()).lint_source(source, "job.py"))


def test_the_ascii_layer_and_paid_call():
    assert findings(PAID) == PAID_FINDINGS


def test_a_fullwidth_layer_and_paid_call_are_the_same_names():
    source = PAID.replace("@retry", "@" + fullwidth("retry")).replace("return client.", "return " + fullwidth("client") + ".")
    assert findings(source) == PAID_FINDINGS


def test_fullwidth_names_where_they_are_bound():
    source = PAID.replace("import retry", "import " + fullwidth("retry")).replace("client = ", fullwidth("client") + " = ")
    assert findings(source) == PAID_FINDINGS


def test_fullwidth_attributes_of_the_paid_call():
    source = PAID.replace("chat.completions.create", fullwidth("chat.completions.create"))
    assert findings(source) == PAID_FINDINGS
    messages = [d.message for d in Engine(Settings()).lint_source(source, "job.py") if d.code == "RTL005"]
    assert messages[0].startswith("chat.completions.create runs under 2 retry layers")


def test_a_fullwidth_keyword_bounds_the_layer():
    source = "from tenacity import retry, stop_after_attempt\n\n@retry(%s=stop_after_attempt(3))\ndef f():\n    pass\n"
    assert findings(source % "stop") == []
    assert findings(source % fullwidth("stop")) == []


def test_a_fullwidth_client_option_is_read():
    source = PAID.replace("OpenAI()", "OpenAI(%s=0)" % fullwidth("max_retries"))
    assert findings(source) == [("RTL001", 7), ("RTL002", 7), ("RTL006", 7)]


def test_a_fullwidth_layer_is_fixed_and_the_fix_is_final():
    source = "from tenacity import retry\n\n@%s\ndef f():\n    pass\n" % fullwidth("retry")
    engine = Engine(Settings())
    fixed = engine.fix_source(source, "job.py").source
    assert fixed == "from tenacity import retry, stop_after_attempt\n\n@%s(stop=stop_after_attempt(3))\ndef f():\n    pass\n" % (
        fullwidth("retry"))
    assert engine.lint_source(fixed, "job.py") == []
    assert engine.fix_source(fixed, "job.py").source == fixed


def test_the_prefilter_reads_fullwidth_names_as_python_does():
    source = "import tenacity as t\n\n@t.%s\ndef f():\n    pass\n" % fullwidth("retry")
    assert Engine(Settings()).could_hold_layer(source)
    assert findings(source) == [("RTL001", 3)]
