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


# ----- star imports ----------------------------------------------------------------------------
STAR = PAID.replace("from openai import OpenAI\nfrom tenacity import retry\n", "from openai import *\nfrom tenacity import *\n")
BACKOFF_STAR = src(
    """
    from backoff import *
    import requests


    @on_exception(expo, requests.ConnectionError{options})
    def fetch(url):
        return requests.get(url)
    """
)


def test_a_star_import_binds_the_catalog_names_of_its_module():
    assert findings(STAR) == PAID_FINDINGS


def test_a_star_import_of_backoff():
    assert findings(BACKOFF_STAR.format(options="")) == [("RTL001", 5)]
    assert findings(BACKOFF_STAR.format(options=", max_tries=3")) == []


def test_a_bounded_layer_built_from_star_imported_names_is_clean():
    source = src(
        """
        from tenacity import *


        @retry(stop=stop_after_attempt(3), wait=wait_random_exponential(max=60), retry=retry_if_exception_type(IOError))
        def fetch(path):
            return open(path).read()
        """
    )
    assert findings(source) == []


def test_a_star_import_from_a_module_the_catalog_does_not_know_binds_nothing():
    assert findings("from mylib import *\n\n@retry\ndef f():\n    pass\n") == []


def test_a_star_import_binds_only_the_names_the_catalog_declares_in_that_module():
    engine = Engine(Settings())
    assert {"retry", "Retrying", "stop_after_attempt", "wait_exponential_jitter"} <= engine.catalog.star_names("tenacity")
    assert "stop" not in engine.catalog.star_names("tenacity")  # tenacity.stop is a submodule
    assert engine.catalog.star_names("backoff") >= {"on_exception", "on_predicate"}
    assert engine.catalog.star_names("mylib") == set()


def test_a_star_imported_layer_is_fixed_with_the_star_imported_names():
    engine = Engine(Settings())
    fixed = engine.fix_source(STAR, "job.py").source
    assert fixed == STAR.replace("@retry\n", (
        "@retry(\n    stop=stop_after_attempt(3),\n    retry=retry_if_not_exception_type(\n        (\n"
        "            BadRequestError,\n            AuthenticationError,\n            PermissionDeniedError,\n"
        "            NotFoundError,\n            UnprocessableEntityError,\n        )\n    ),\n"
        "    wait=wait_exponential_jitter(max=60),\n)\n"))
    assert [d.code for d in engine.lint_source(fixed, "job.py")] == ["RTL005"]
    assert engine.fix_source(fixed, "job.py").source == fixed
