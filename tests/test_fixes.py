"""Fix output in layouts the rule cases do not cover: nested blocks, multi-line calls with a
trailing comma, parenthesized imports, CRLF newlines. Exact output, re-linted, idempotent."""

from __future__ import annotations

import textwrap

from retrylint.engine import Engine
from retrylint.settings import Settings


def fix(source: str, **settings) -> str:
    engine = Engine(Settings(**settings))
    result = engine.fix_source(source, "svc.py")
    assert engine.fix_source(result.source, "svc.py").source == result.source
    compile(result.source, "svc.py", "exec")
    return result.source


BEFORE = textwrap.dedent(
    """\
    import openai
    from tenacity import (
        retry,
        stop_after_attempt,
    )

    client = openai.OpenAI(max_retries=0)


    class Service:
        @retry(
            stop=stop_after_attempt(3),
        )
        async def ask(self, prompt):
            return await client.chat.completions.create(model="m", messages=[])
    """
)

AFTER = textwrap.dedent(
    """\
    import openai
    from tenacity import (
        retry,
        stop_after_attempt,
        retry_if_not_exception_type,
        wait_exponential_jitter,
    )

    client = openai.OpenAI(max_retries=0)


    class Service:
        @retry(
            stop=stop_after_attempt(3),
            retry=retry_if_not_exception_type((openai.BadRequestError, openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError, openai.UnprocessableEntityError)),
            wait=wait_exponential_jitter(max=60),
        )
        async def ask(self, prompt):
            return await client.chat.completions.create(model="m", messages=[])
    """
)


def test_multiline_decorator_in_a_class_keeps_its_layout():
    assert fix(BEFORE) == AFTER


def test_crlf_newlines_are_kept():
    assert fix(BEFORE.replace("\n", "\r\n")) == AFTER.replace("\n", "\r\n")


def test_bare_decorator_on_a_nested_function_and_new_import_after_the_docstring():
    before = textwrap.dedent(
        '''\
        """Jobs."""
        import tenacity


        def outer():
            @tenacity.retry
            def inner():
                pass

            return inner
        '''
    )
    assert fix(before, select=("RTL001",)) == before.replace(
        "@tenacity.retry\n", "@tenacity.retry(stop=tenacity.stop_after_attempt(3))\n"
    )


def test_identical_top_level_statements_are_fixed_in_place():
    """A fix renders only the statement it changes, placed by its text; two identical statements
    cannot be told apart that way, so the whole module is rendered instead: same result."""
    layer = "@retry\ndef fetch():\n    return 1\n"
    source = "from tenacity import retry\n\n" + layer + "\n" + layer + "\nvalue = 1\n"
    fixed_layer = "@retry(stop=stop_after_attempt(3))\ndef fetch():\n    return 1\n"
    assert fix(source, select=("RTL001",)) == (
        "from tenacity import retry, stop_after_attempt\n\n" + fixed_layer + "\n" + fixed_layer + "\nvalue = 1\n"
    )


def test_libcst_checks_the_nodes_fixes_build_after_an_unchecked_parse():
    """Analysis parses skip libcst's per-node checks; fixes must still get them."""
    import libcst as cst
    import pytest

    from retrylint.analysis.libcst_compat import parse_unchecked

    parse_unchecked("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("1 is no name")


def test_a_non_retryable_list_joins_an_existing_retry_combination_in_parentheses():
    """``&`` binds tighter than ``|``: ``a | b & not_types`` would exclude the errors from ``b`` only."""
    source = textwrap.dedent(
        """\
        import openai
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(openai.RateLimitError) | retry_if_exception_type(Exception))
        def ask(prompt):
            return openai.chat.completions.create(model="m", messages=[])
        """
    )
    expected = source.replace(
        "import retry, retry_if_exception_type, stop_after_attempt, wait_exponential\n",
        "import (\n    retry,\n    retry_if_exception_type,\n    stop_after_attempt,\n    wait_exponential,\n"
        "    retry_if_not_exception_type,\n)\n",
    ).replace(
        "@retry(stop=stop_after_attempt(3), wait=wait_exponential(), "
        "retry=retry_if_exception_type(openai.RateLimitError) | retry_if_exception_type(Exception))",
        "@retry(\n    stop=stop_after_attempt(3),\n    wait=wait_exponential(),\n"
        "    retry=(retry_if_exception_type(openai.RateLimitError) | retry_if_exception_type(Exception)) & "
        "retry_if_not_exception_type((openai.BadRequestError, openai.AuthenticationError, openai.PermissionDeniedError, "
        "openai.NotFoundError, openai.UnprocessableEntityError)),\n)",
    )
    assert fix(source) == expected


def test_the_chat_model_under_with_retry_gets_its_sdk_retries_off():
    """``ChatOpenAI(...).with_structured_output(S).with_retry(...)``: the unsafe RTL005 fix turns
    the chat model's own SDK retries off where it is made; the layer's RTL002/RTL003 have no fix."""
    source = textwrap.dedent(
        """\
        from langchain_openai import ChatOpenAI


        def summarize(text, schema):
            model = ChatOpenAI(model="gpt-4o").with_structured_output(schema).with_retry(stop_after_attempt=3)
            return model.invoke(text)
        """
    )
    engine = Engine(Settings())
    result = engine.fix_source(source, "svc.py", unsafe=True).source
    assert engine.fix_source(result, "svc.py", unsafe=True).source == result
    assert result == textwrap.dedent(
        """\
        from langchain_openai import ChatOpenAI


        def summarize(text, schema):
            model = ChatOpenAI(
                model="gpt-4o",
                max_retries=0,
            ).with_structured_output(schema).with_retry(stop_after_attempt=3)
            return model.invoke(text)
        """
    )
    assert [d.code for d in engine.lint_source(result, "svc.py")] == ["RTL002", "RTL003"]


def test_an_unbounded_stop_function_gets_no_cap_fix():
    """tenacity's stop_base has no ``__ror__``: ``stop=my_stop | stop_after_attempt(5)`` would
    raise TypeError, so a stop function that never stops is reported without a fix."""
    source = textwrap.dedent(
        """\
        from tenacity import retry, wait_exponential


        def never(state):
            return False


        @retry(stop=never, wait=wait_exponential())
        def fetch():
            return 1
        """
    )
    engine = Engine(Settings())
    diagnostics = [d for d in engine.lint_source(source, "svc.py") if d.code == "RTL001"]
    assert [(d.line, d.fix) for d in diagnostics] == [(8, None)]
    assert fix(source) == source
