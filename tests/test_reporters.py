"""Output formats and the summary, from hand-built diagnostics."""

from __future__ import annotations

import io
import json

import pytest

from retrylint.diagnostics import Applicability, ChainLink, Diagnostic, Edit, Fix
from retrylint.output.terminal import (
    format_diff, format_json, make_console, print_diagnostics, summary_lines,
)

SOURCE = "import x\n\n@retry\ndef f():\n    return x.charge()\n"


def diagnostic(code="RTL001", name="unbounded-retry", line=3, column=1, end_column=7, path="a.py",
               applicability=Applicability.SAFE, chain=()) -> Diagnostic:
    fix = None if applicability is None else Fix(applicability, "Stop after 3 attempts",
                                                 (Edit(line, column, line, end_column, "@retry(stop=...)"),))
    return Diagnostic(code, name, "retries without limit", path, line, column, line, end_column,
                      fix=fix, chain=list(chain))


def render(diagnostics, output_format, *, unsafe_fixes=False, texts=None) -> str:
    stream = io.StringIO()
    print_diagnostics(make_console(stream), diagnostics, output_format,
                      texts={"a.py": SOURCE} if texts is None else texts, unsafe_fixes=unsafe_fixes)
    return stream.getvalue()


def test_concise_is_one_plain_line_each_sorted():
    diagnostics = [diagnostic(path="b.py"), diagnostic(code="RTL006", name="retry-without-backoff"), diagnostic()]
    assert render(diagnostics, "concise") == (
        "a.py:3:1: RTL001 retries without limit\n"
        "a.py:3:1: RTL006 retries without limit\n"
        "b.py:3:1: RTL001 retries without limit\n"
    )


def test_full_shows_source_underline_chain_and_help():
    chain = [ChainLink("a.py", 3, "f"), ChainLink("a.py", 5, "x.charge")]
    assert render([diagnostic(chain=chain)], "full") == (
        "a.py:3:1: RTL001 [*] retries without limit\n"
        "  |\n"
        "3 | @retry\n"
        "  | ^^^^^^\n"
        "  = chain: a.py:3 f -> a.py:5 x.charge\n"
        "  = help: Stop after 3 attempts\n"
        "\n"
    )


def test_full_marks_unsafe_fix_only_when_enabled_and_handles_missing_source():
    unsafe = diagnostic(line=5, column=12, end_column=20, applicability=Applicability.UNSAFE)
    assert render([unsafe], "full") == (
        "a.py:5:12: RTL001 retries without limit\n"
        "  |\n"
        "5 |     return x.charge()\n"
        "  |            ^^^^^^^^\n"
        "  = help: Stop after 3 attempts (unsafe fix)\n"
        "\n"
    )
    assert render([unsafe], "full", unsafe_fixes=True).startswith("a.py:5:12: RTL001 [*] retries")
    assert render([diagnostic(applicability=None)], "full", texts={}) == "a.py:3:1: RTL001 retries without limit\n\n"


def test_json_is_sorted_array_of_to_json():
    diagnostics = [diagnostic(path="b.py"), diagnostic(line=1)]
    output = render(diagnostics, "json")
    assert output == format_json(diagnostics) + "\n"
    parsed = json.loads(output)
    assert [(d["path"], d["line"]) for d in parsed] == [("a.py", 1), ("b.py", 3)]
    assert set(parsed[0]) == {"code", "name", "message", "path", "line", "column", "end_line",
                              "end_column", "severity", "fix", "chain"}
    assert render([], "json") == "[]\n"


@pytest.mark.parametrize(("env", "colored"), [({}, False), ({"FORCE_COLOR": "1"}, True),
                                               ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False)])
def test_colour_only_when_forced_on_a_pipe(monkeypatch, env, colored):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert ("\x1b[" in render([diagnostic()], "concise")) is colored


def test_summary_counts_and_fix_hints():
    diagnostics = [diagnostic(), diagnostic(), diagnostic(code="RTL005", name="stacked-retries",
                                                          applicability=Applicability.UNSAFE)]
    assert summary_lines(diagnostics, fixed=0, fixing=False, unsafe_fixes=False) == [
        "RTL001  unbounded-retry  2",
        "RTL005  stacked-retries  1",
        "Found 3 errors.",
        "[*] 2 fixable with --fix (1 more with --unsafe-fixes)",
    ]
    assert summary_lines(diagnostics[2:], fixed=2, fixing=True, unsafe_fixes=False) == [
        "Fixed 2 errors.",
        "RTL005  stacked-retries  1",
        "Found 1 error.",
        "1 fixable with --fix --unsafe-fixes",
    ]
    assert summary_lines([], fixed=1, fixing=True, unsafe_fixes=False) == ["Fixed 1 error.", "All checks passed!"]
    assert summary_lines([], fixed=0, fixing=False, unsafe_fixes=False) == ["All checks passed!"]


def test_diff_marks_missing_final_newline():
    assert format_diff("a.py", "x = 1", "x = 2") == (
        "--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n\\ No newline at end of file\n"
        "+x = 2\n\\ No newline at end of file\n"
    )
