"""Whatever a repository holds, each bad file gets one clear RTL999 line, the other files are still
checked, and the exit code is the documented one. (Cases covered elsewhere: undecodable UTF-8 and
bad config in test_cli.py, decoding in test_sources.py, config errors in test_config.py, symlink
loops and folders named ``x.py`` in test_discovery.py, the writer in test_writer.py.)"""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retrylint.engine import Engine
from retrylint.runner import CheckOptions, CheckOutcome, run_check
from retrylint.settings import Settings

REPO = Path(__file__).resolve().parent.parent
UNBOUNDED = "from tenacity import retry\n\n@retry\ndef f():\n    pass\n"
# One line that lets a file through the prefilter (it can hold a retry layer), so that it is parsed.
MAY_HOLD_A_LAYER = "from tenacity import retry as again\n"
UNBOUNDED_LINE = "3:1: RTL001 tenacity @retry on 'f' retries without limit: it has no attempt cap and no deadline"
DEEP_PARENS = "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
DEEP_ATTRIBUTES = "x = a" + ".b" * 20000 + "\n"  # crashed libcst's native parser (a segfault)
DEEP_CALLS = "x = f" + "()" * 5000 + "\n"


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environment["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "retrylint", "--no-cache", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=300)


def lint(source: str, path: str = "m.py") -> list[tuple[str, int, int, str]]:
    return [(d.code, d.line, d.column, d.message) for d in Engine(Settings()).lint_source(source, path)]


BAD_FILES = {
    "a_syntax.py": (b"def f(:\n    pass\n" + UNBOUNDED.encode(), "1:7: RTL999 cannot check this file: syntax error: invalid syntax"),
    "b_nulls.py": (b"x = 1\ny = '\x00'\n", "2:1: RTL999 cannot check this file: source contains null bytes"),
    "c_latin1_no_cookie.py": (b"# caf\xe9\nx = 1\n",
                              "1:1: RTL999 cannot check this file: cannot decode as utf-8 at byte 5 (line 1)"),
    "d_python2.py": (b"print 'hello'\n" + UNBOUNDED.encode(),
                     "1:1: RTL999 cannot check this file: syntax error: Missing parentheses in call to 'print'. "
                     "Did you mean print(...)?"),
    "e_deep_parens.py": ((DEEP_PARENS + UNBOUNDED).encode(), "1:205: RTL999 cannot check this file: syntax error: "
                                               "too many nested parentheses"),
    "f_deep_attributes.py": ((DEEP_ATTRIBUTES + UNBOUNDED).encode(), "1:1: RTL999 cannot check this file: nesting too deep to analyse"),
    "g_unknown_cookie.py": (b"# coding: klingon\nx = 1\n",
                            "1:1: RTL999 cannot check this file: unknown encoding: klingon (in the coding cookie)"),
    "h_mixed_tabs.py": (b"if x:\n        a = 1\n\tb = 2\n" + UNBOUNDED.encode(), "3:1: RTL999 cannot check this file: syntax error: "
                                                          "inconsistent use of tabs and spaces in indentation"),
}
GOOD_FILES = {
    "i_empty.py": b"",
    "j_bom.py": codecs.BOM_UTF8 + UNBOUNDED.encode(),
    "k_latin1_cookie.py": b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + UNBOUNDED.encode(),
    "l_crlf.py": UNBOUNDED.replace("\n", "\r\n").encode(),
    "m_mixed_newlines.py": b"from tenacity import retry\r\n\n@retry\rdef f():\n    pass\r\n",
    "n_tabs.py": UNBOUNDED.replace("    ", "\t").encode(),
    "o_only_comments.py": b"# nothing here\n",
}


def test_every_bad_file_gets_one_line_and_the_run_goes_on(tmp_path):
    for name, (data, _) in BAD_FILES.items():
        (tmp_path / name).write_bytes(data)
    for name, data in GOOD_FILES.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "p_folder.py").mkdir()  # a folder named like a module: walked, not read
    (tmp_path / "p_folder.py" / "inner.py").write_text(UNBOUNDED)
    (tmp_path / "q_loop").symlink_to(tmp_path, target_is_directory=True)  # not followed
    (tmp_path / "r_self.py").symlink_to(tmp_path / "r_self.py")  # a symlink to itself: skipped
    result = run(tmp_path, "--output-format", "concise", "-q")
    expected = [f"{name}:{line}" for name, (_, line) in BAD_FILES.items()]
    expected += [f"{name}:{UNBOUNDED_LINE}" for name in ("j_bom.py", "l_crlf.py", "m_mixed_newlines.py", "n_tabs.py")]
    expected += [f"k_latin1_cookie.py:{UNBOUNDED_LINE.replace('3:1', '5:1', 1)}",
                 f"p_folder.py/inner.py:{UNBOUNDED_LINE}"]
    assert sorted(result.stdout.splitlines()) == sorted(expected)
    assert (result.returncode, result.stderr) == (1, "")


def test_paths_that_do_not_exist_or_loop_exit_2_and_the_others_are_checked(tmp_path):
    (tmp_path / "ok.py").write_text(UNBOUNDED)
    (tmp_path / "loop.py").symlink_to(tmp_path / "loop.py")
    result = run(tmp_path, "--output-format", "concise", "-q", "missing.py", "missing_dir/", "loop.py", "ok.py")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["retrylint: error: path does not exist: missing.py",
                                          "retrylint: error: path does not exist: missing_dir",
                                          "retrylint: error: symlink to nothing (broken, or a loop): loop.py"]
    assert result.stdout == f"ok.py:{UNBOUNDED_LINE}\n"


def test_a_folder_named_like_a_file_given_explicitly(tmp_path):
    (tmp_path / "x.py").mkdir()
    (tmp_path / "x.py" / "m.py").write_text(UNBOUNDED)
    result = run(tmp_path, "--output-format", "concise", "-q", "x.py")
    assert (result.returncode, result.stdout, result.stderr) == (1, f"x.py/m.py:{UNBOUNDED_LINE}\n", "")


# ----- the engine on its own ---------------------------------------------------------------------------
@pytest.mark.parametrize("source", [DEEP_PARENS, DEEP_ATTRIBUTES, DEEP_CALLS,
                                    "x = " + "+".join(["1"] * 50000) + "\n",
                                    "x = " + "-" * 5000 + "1\n", "x = " + "not " * 5000 + "1\n",
                                    "x = a" + "[0]" * 5000 + "\n"])
def test_deep_nesting_is_one_diagnostic_not_a_crash(source):
    started = time.monotonic()
    assert lint(source) == []  # it can hold no retry layer: not parsed at all
    for body in (source + UNBOUNDED, MAY_HOLD_A_LAYER + source):
        ((code, line, _, message),) = lint(body)
        assert code == "RTL999" and line in (1, 2)
        assert message in ("cannot check this file: nesting too deep to analyse",
                           "cannot check this file: syntax error: too many nested parentheses")
        assert Engine(Settings()).fix_source(body, "m.py", unsafe=True).source == body
    assert time.monotonic() - started < 10


@pytest.mark.slow  # a stress test: a 2,900-deep chain (test_never_crash has a 200-deep one in the fast loop)
def test_deep_nesting_python_accepts_is_checked_or_reported():
    """As deep as Python itself compiles: checked, or one RTL999, never an exception."""
    source = "from tenacity import retry\nx = a" + ".b" * 2900 + "\n" + UNBOUNDED
    found = lint(source)
    assert [code for code, *_ in found] in (["RTL001"], ["RTL999"])


def test_deep_blocks_and_retry_layers_inside_them():
    nested = "".join("    " * i + f"def f{i}():\n" for i in range(95))
    source = "from tenacity import retry\n" + nested + "    " * 95 + "@retry\n" + "    " * 95 + "def g():\n" \
        + "    " * 96 + "pass\n"
    assert [(code, line) for code, line, *_ in lint(source)] == [("RTL001", 97)]
    too_deep = MAY_HOLD_A_LAYER + "".join(" " * i + "if x:\n" for i in range(101)) + " " * 101 + "pass\n"
    assert [code for code, *_ in lint(too_deep)] == ["RTL999"]  # Python's limit is 100 blocks


@pytest.mark.slow
def test_a_100000_line_file_is_checked():
    """Slow (libcst parses the whole module: several seconds), but one finding, in the right
    place, and no blow-up."""
    source = UNBOUNDED + "".join(f"value_{i} = {i}\n" for i in range(100_000))
    started = time.monotonic()
    assert [(code, line) for code, line, *_ in lint(source)] == [("RTL001", 3)]
    assert time.monotonic() - started < 240
    filler = "".join(f"value_{i} = {i}\n" for i in range(100_000))  # no retry layer: only Python's parser
    started = time.monotonic()
    assert lint(filler) == [] and time.monotonic() - started < 30


@pytest.mark.parametrize(("source", "expected"), [
    ("", []),
    ("\n\n\n", []),
    ("from tenacity import retry as again\nprint 'x'\n",
     [("RTL999", 2, 1, "cannot check this file: syntax error: Missing parentheses in call to 'print'. "
                       "Did you mean print(...)?")]),
    ("from tenacity import retry as again\nexec 'code'\n",
     [("RTL999", 2, 1, "cannot check this file: syntax error: Missing parentheses in call to 'exec'. "
                       "Did you mean exec(...)?")]),
    ("from tenacity import retry as again\ndef f():", [("RTL999", 2, 9, "cannot check this file: syntax error: "
                                                               "expected an indented block after function definition on line 2")]),
    ("x = 1\x00\n", [("RTL999", 1, 1, "cannot check this file: source contains null bytes")]),
    ("@retry\ndef f(:\n", [("RTL999", 2, 7, "cannot check this file: syntax error: invalid syntax")]),
    # Python's parser accepts it, libcst's validation refused it with an exception (found by fuzzing)
    ("from tenacity import retry as again\ndef f():\n    return* x\n",
     [("RTL999", 3, 11, "cannot check this file: syntax error: can't use starred expression here")]),
])
def test_engine_reports_unparseable_sources_once(source, expected):
    assert lint(source) == expected


def test_a_syntax_error_where_no_retry_layer_can_be_is_left_to_other_linters():
    """Only files that can hold a retry layer are parsed (issue 5: parsing every file would cost
    more than flake8's whole run); a broken file elsewhere is the other linters' to report."""
    assert lint("def f(:\n    pass\n") == []
    assert lint("import requests\nprint 'x'\n") == []
    assert [code for code, *_ in lint("@app.task\ndef f(:\n")] == ["RTL999"]


def test_invalid_escape_sequences_print_no_warning(capfd):
    assert lint("from tenacity import retry\nx = '\\d'\n") == []
    assert capfd.readouterr().err == ""


# ----- the run goes on ---------------------------------------------------------------------------------
B_FINDING = ("b.py", "RTL001", "tenacity @retry on 'f' retries without limit: it has no attempt cap and no deadline")


def check_two_files(tmp_path: Path, monkeypatch, break_a) -> CheckOutcome:
    """Check a.py and b.py (both UNBOUNDED) in ``tmp_path``, with ``break_a(monkeypatch)``
    having made something go wrong with a.py."""
    (tmp_path / "a.py").write_text(UNBOUNDED)
    (tmp_path / "b.py").write_text(UNBOUNDED)
    break_a(monkeypatch)
    monkeypatch.chdir(tmp_path)
    return run_check([Path(".")], CheckOptions(isolated=True))


def findings(outcome) -> list[tuple[str, str, str]]:
    return [(d.path, d.code, d.message) for d in outcome.diagnostics]


def test_a_file_deleted_between_discovery_and_reading(tmp_path, monkeypatch):
    import retrylint.runner as runner

    real_discover = runner.discover

    def discover_then_delete(paths, settings_for, **options):
        found = real_discover(paths, settings_for, **options)
        (tmp_path / "a.py").unlink()
        return found

    outcome = check_two_files(tmp_path, monkeypatch, lambda m: m.setattr(runner, "discover", discover_then_delete))
    assert findings(outcome) == [("a.py", "RTL999", "cannot check this file: file vanished before it could be read"),
                                 B_FINDING]
    assert outcome.errors == []


def test_an_unreadable_file(tmp_path, monkeypatch):
    """(As root, chmod cannot make a file unreadable: the read itself is made to fail.)"""
    import builtins

    import retrylint.sources as sources

    def open_(file, *args, **kwargs):
        if Path(file).name == "a.py":
            raise PermissionError(13, "Permission denied", str(file))
        return builtins.open(file, *args, **kwargs)

    outcome = check_two_files(tmp_path, monkeypatch, lambda m: m.setattr(sources, "open", open_, raising=False))
    assert findings(outcome) == [("a.py", "RTL999", "cannot check this file: permission denied"), B_FINDING]


def test_an_engine_crash_on_one_file_is_an_internal_error_and_the_others_are_checked(tmp_path, monkeypatch):
    real_lint = Engine.lint_source

    def lint_source(self, source, path, **kwargs):
        if path == "a.py":
            raise KeyError("boom")
        return real_lint(self, source, path, **kwargs)

    outcome = check_two_files(tmp_path, monkeypatch, lambda m: m.setattr(Engine, "lint_source", lint_source))
    assert outcome.errors == ["internal error while checking a.py: KeyError: 'boom'"]
    assert [d.path for d in outcome.diagnostics] == ["b.py"]


# ----- configuration and catalog ---------------------------------------------------------------------------
@pytest.mark.parametrize(("catalog", "message"), [
    ("[[layer]]\nnames = ['x.retry']\nbogus = 1\n", "{file}:3: unknown key 'bogus' in [[layer]]"),
    ("[[billable]]\nnames = ['x.y']\nkind = 'lunch'\n", "{file}:3: 'kind' in [[billable]] must be one of llm, payment, message, got 'lunch'"),
    ("layer = 3\n", "{file}:1: 'layer' must be an array of tables ([[layer]])"),
    ("[[layer]]\nnames = 'x'\nform = ]\nlibrary = 'x'\n", "{file}:3: invalid TOML: Invalid value (at line 3, column 8)"),
    ("[[layer]]\nnames = ['x.y']\nlabel = 'a", "{file}:3: invalid TOML: Expected \"'\" (at end of document)"),
])
def test_a_malformed_catalog_names_the_file_and_the_line(tmp_path, catalog, message):
    (tmp_path / "pyproject.toml").write_text("[tool.retrylint]\nextend-catalog = ['extra.toml']\n")
    (tmp_path / "extra.toml").write_text(catalog)
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = run(tmp_path)
    expected = message.format(file=(tmp_path / "extra.toml").resolve())
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"retrylint: error: {expected}\n")


@pytest.mark.parametrize(("config", "message"), [
    ("[tool.retrylint]\nselect = 'RTL001'\n", "'select' in {file} must be a list of strings"),
    ("[tool.retrylint]\nper-file-ignores = ['x']\n", "'per-file-ignores' in {file} must be a table"),
    ("[tool.retrylint]\nmax-attempts = 0\n", "'max-attempts' in {file} must be an integer >= 1, got 0"),
    ("[tool.retrylint]\nmax-attempts = true\n", "'max-attempts' in {file} must be an integer >= 1, got True"),
    ("[tool.retrylint]\nselect = ['RTL001']\nselect = ['RTL002']\n", "invalid TOML in {file}"),
    ("\x00", "invalid TOML in {file}"),
])
def test_config_with_wrong_types_or_bad_toml_exits_2_with_one_line(tmp_path, config, message):
    (tmp_path / "pyproject.toml").write_text(config)
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = run(tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("retrylint: error: " + message.format(file=(tmp_path / "pyproject.toml").resolve()))
    assert len(result.stderr.splitlines()) == 1


def test_undecodable_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.retrylint]\nselect = ['\xff']\n")
    result = run(tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"retrylint: error: invalid TOML in {(tmp_path / 'pyproject.toml').resolve()}: not UTF-8 at byte 28\n"


def test_fixes_keep_crlf_mixed_newlines_tabs_bom_and_latin1(tmp_path):
    files = {name: data for name, data in GOOD_FILES.items() if name != "i_empty.py" and name != "o_only_comments.py"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    result = run(tmp_path, "--fix", "--select", "RTL001", "-q")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    after = {name: (tmp_path / name).read_bytes() for name in files}
    assert after["j_bom.py"].startswith(codecs.BOM_UTF8)
    assert after["k_latin1_cookie.py"].startswith(b"# -*- coding: latin-1 -*-\n# caf\xe9\n")
    assert b"\n" not in after["l_crlf.py"].replace(b"\r\n", b"")
    assert after["m_mixed_newlines.py"].startswith(b"from tenacity import retry, stop_after_attempt\r\n\n@retry(")
    assert b"\r" not in after["n_tabs.py"] and b"\tpass" in after["n_tabs.py"]
    for name, data in after.items():
        compile(data, name, "exec")
        assert b"stop_after_attempt(3)" in data, name
    assert run(tmp_path, "--diff", "--select", "RTL001").returncode == 0


def test_a_fix_on_a_file_that_changed_meanwhile_is_not_written(tmp_path, monkeypatch, capsys):
    target = tmp_path / "m.py"
    target.write_text(UNBOUNDED)
    real_fix = Engine.fix_source

    def fix_source(self, source, path, **kwargs):
        result = real_fix(self, source, path, **kwargs)
        target.write_text(UNBOUNDED + "# edited meanwhile\n")
        return result

    monkeypatch.setattr(Engine, "fix_source", fix_source)
    monkeypatch.chdir(tmp_path)
    outcome = run_check([Path(".")], CheckOptions(isolated=True, fix=True))
    assert target.read_text() == UNBOUNDED + "# edited meanwhile\n"
    assert outcome.changes == [] and [d.code for d in outcome.diagnostics] == ["RTL001"]
    assert capsys.readouterr().err == (
        "retrylint: warning: not writing fixes to m.py: it changed on disk since it was read\n"
    )
    assert sorted(os.listdir(tmp_path)) == ["m.py"]  # no temporary file left behind


def test_an_imported_module_nested_beyond_pythons_limits_does_not_crash_the_run(tmp_path):
    """Cross-module resolution parses imported modules too; libcst's parser killed the process
    (a segfault) on this one."""
    (tmp_path / "deep.py").write_text("import openai\nclient = openai.OpenAI()\n" + DEEP_PARENS)
    (tmp_path / "job.py").write_text("from tenacity import retry\nfrom deep import client\n\n@retry\ndef f():\n"
                                     "    return client.chat.completions.create(model='m', messages=[])\n")
    result = run(tmp_path, "--output-format", "concise", "-q", "--isolated", "job.py")
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.startswith("job.py:4:1: RTL001 ")
