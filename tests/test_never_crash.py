"""Hostile input and careless operation: every internal error exits 2 with one line, bad files
become RTL999 while the run goes on, and valid code nested as deep as Python allows is checked."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import libcst as cst
import pytest

import retrylint.runner as runner
from retrylint.engine import Engine
from retrylint.frontends.cli import main
from retrylint.settings import Settings
from retrylint.sources import MAX_FILE_BYTES

UNBOUNDED = "from tenacity import retry\n\n@retry\ndef f():\n    pass\n"
UNBOUNDED_LINE = ":3:1: RTL001 tenacity @retry on 'f' retries without limit: it has no attempt cap and no deadline"
PAID = "from tenacity import retry\nfrom openai import OpenAI\n\nclient = OpenAI()\n\n"
CREATE = 'client.chat.completions.create(model="m", messages=[])'


def check(capsys, *args: str) -> tuple[int, list[str], list[str]]:
    """Run ``retrylint check`` in this process: exit code, stdout lines, stderr lines."""
    code = main(["check", "--no-cache", "-j1", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def codes(source: str) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in Engine(Settings()).lint_source(source, "m.py")]


# ----- exit codes -----------------------------------------------------------------------------------
def test_an_internal_error_exits_2_with_one_line_and_no_all_clear(tmp_path, monkeypatch, capsys):
    (tmp_path / "ok.py").write_text("x = 1\n")

    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(runner, "discover", broken)
    code, out, err = check(capsys, str(tmp_path))
    assert (code, out, err) == (2, [], ["retrylint: error: internal error: RuntimeError: boom\\x0asecond line"])


def test_errors_without_findings_do_not_print_all_checks_passed(tmp_path, monkeypatch, capsys):
    (tmp_path / "ok.py").write_text("x = 1\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = check(capsys, "ok.py", "missing.py")
    assert (code, out, err) == (2, [],
                                ["retrylint: error: path does not exist: missing.py"])


def test_ctrl_c_exits_130_quietly(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "discover", interrupted)
    assert check(capsys, str(tmp_path)) == (130, [], [])


# ----- coding cookies ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("codec", "reason"), [
    *[(codec, f"the coding cookie names {codec!r}, which is not a text encoding")
      for codec in ("rot13", "base64", "hex", "zlib", "bz2", "uu", "quopri")],
    ("punycode", "cannot decode as punycode: decoding with 'punycode' codec failed "
                 "(UnicodeError: Invalid extended code point ' ')"),
    ("undefined", "cannot decode as undefined: decoding with 'undefined' codec failed (UnicodeError: undefined encoding)"),
])
def test_a_cookie_naming_a_codec_python_refuses_is_one_rtl999(tmp_path, monkeypatch, capsys, codec, reason):
    (tmp_path / "a.py").write_text(f"# -*- coding: {codec} -*-\nx = 1\n")  # no retry shape at all
    (tmp_path / "b.py").write_text(UNBOUNDED)
    monkeypatch.chdir(tmp_path)
    code, out, err = check(capsys, "--output-format", "concise", "-q")
    assert (code, out, err) == (1, [f"a.py:1:1: RTL999 cannot check this file: {reason}", "b.py" + UNBOUNDED_LINE], [])


def test_a_fix_that_the_files_codec_cannot_encode_is_refused(tmp_path, monkeypatch, capsys):
    original = "# -*- coding: idna -*-\n" + UNBOUNDED
    (tmp_path / "a.py").write_text(original)
    monkeypatch.chdir(tmp_path)
    code, out, err = check(capsys, "--fix", "--output-format", "concise", "-q")
    assert (code, out) == (1, ["a.py" + UNBOUNDED_LINE.replace(":3:", ":4:")])
    assert err == ["retrylint: warning: not writing fixes to a.py: its encoding (idna) does not write back "
                   "the bytes it read"]
    assert (tmp_path / "a.py").read_text() == original


# ----- sizes and depths -------------------------------------------------------------------------------
def test_a_file_over_the_size_limit_is_reported_not_read(tmp_path, monkeypatch, capsys):
    (tmp_path / "big.py").write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    (tmp_path / "b.py").write_text(UNBOUNDED)
    monkeypatch.chdir(tmp_path)
    code, out, err = check(capsys, "--output-format", "concise", "-q")
    assert (code, out, err) == (1, ["b.py" + UNBOUNDED_LINE,
                                    "big.py:1:1: RTL999 cannot check this file: file is larger than 16 MiB"], [])


def test_a_folder_tree_1000_levels_deep(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    folder = "t"
    try:
        os.mkdir(folder)
        for _ in range(1000):  # os.makedirs recurses
            folder += "/d"
            os.mkdir(folder)
        Path(folder, "m.py").write_text(UNBOUNDED)
        code, out, err = check(capsys, "--output-format", "concise", "-q", "t")
    finally:  # pytest's clean-up (shutil.rmtree) recurses: remove the tree here, deepest first
        Path(folder, "m.py").unlink(missing_ok=True)
        while folder and os.path.isdir(folder):
            os.rmdir(folder)
            folder = os.path.dirname(folder)
    assert (code, out, err) == (1, ["t" + "/d" * 1000 + "/m.py" + UNBOUNDED_LINE], [])


@pytest.mark.parametrize(("toml", "reason"), [
    ("x = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
    ("x = " + "9" * 5000 + "\n", "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits"),
    ("[tool.retrylint]\nmax-attempts = " + "9" * 5000 + "\n",
     "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits"),
])
def test_a_pyproject_too_deep_or_with_a_huge_integer_is_one_config_error(tmp_path, monkeypatch, capsys, toml, reason):
    (tmp_path / "pyproject.toml").write_text(toml)  # the first two have no [tool.retrylint]: still read
    (tmp_path / "a.py").write_text(UNBOUNDED)
    monkeypatch.chdir(tmp_path)
    code, out, err = check(capsys)
    assert (code, out, err) == (2, [], [f"retrylint: error: invalid TOML in {tmp_path / 'pyproject.toml'}: {reason}"])


def test_an_attempt_cap_too_long_to_print(tmp_path, monkeypatch, capsys):
    huge = "0x" + "f" * 5000  # Python compiles it (only decimal literals are limited), but will not print it
    (tmp_path / "a.py").write_text(
        "import backoff\n" + PAID.split("\n", 1)[1]
        + f"@backoff.on_exception(backoff.expo, Exception, max_tries={huge}, giveup=lambda e: False)\n"
        f"def f():\n    {CREATE}\n    {CREATE}\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = check(capsys, "--output-format", "concise", "-q", "--select", "RTL003,RTL005")
    assert err == [] and code == 1
    assert out == [
        "a.py:6:1: RTL003 backoff.on_exception on 'f' (up to 10^18 or more attempts) can re-run billable calls "
        "that already succeeded: chat.completions.create (billed again if chat.completions.create fails after it); "
        "worst case: no limit on billed calls (2 billable calls per attempt); chain f -> chat.completions.create; "
        "store each result and skip work already done before calling again",
        "a.py:6:1: RTL005 chat.completions.create runs under 2 retry layers: backoff.on_exception on 'f' (unbounded) "
        "x OpenAI client (3: retries 2 by default) = unbounded calls per run; chain f -> chat.completions.create; "
        "let one layer retry",
    ]
    assert main(["report", "--format", "json", "a.py"]) == 0
    (point,) = json.loads(capsys.readouterr().out)
    assert (point["attempts"], point["billed_calls"]) == (None, None)


HUGE_HEX, HUGE_DECIMAL = "0x" + "f" * 5000, "9" * 4300  # the longest decimal Python compiles


@pytest.mark.parametrize(("literal", "shown"), [
    (HUGE_HEX, "0xffffffffff...ffff (5,002 characters)"),
    (HUGE_DECIMAL, "999999999999...9999 (4,300 characters)"),  # plus one is over 4,300 digits
])
def test_a_client_retry_count_too_long_to_print(tmp_path, monkeypatch, capsys, literal, shown):
    """Reach's message printed the client's retries and attempts in digits: ValueError (Python
    refuses to print an int of over 4,300 digits) and an internal error for the file."""
    (tmp_path / "a.py").write_text(
        "from tenacity import retry, stop_after_attempt\nfrom openai import OpenAI\n\n"
        f"client = OpenAI(max_retries={literal})\n\n\n@retry(stop=stop_after_attempt(3))\ndef f():\n    {CREATE}\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = check(capsys, "--output-format", "concise", "-q", "--select", "RTL005")
    assert (code, err) == (1, [])
    assert out == [
        "a.py:7:1: RTL005 chat.completions.create runs under 2 retry layers: tenacity @retry on 'f' (3) x OpenAI "
        f"client (10^18 or more: retries {shown}) = up to 10^18 or more calls per run; chain f -> "
        "chat.completions.create; let one layer retry"]
    assert main(["report", "--format", "json", "a.py"]) == 0
    (point,) = json.loads(capsys.readouterr().out)
    assert (point["attempts"], point["billed_calls"]) == (None, None)
    assert point["layers"][1] == f"OpenAI client (10^18 or more: retries {shown})"


def test_counts_worked_out_from_a_huge_literal_are_printed_in_words():
    """boto3's total_max_attempts less one, LiteLLM's num_retries setting added to the SDK's."""
    boto = ("import boto3\nfrom botocore.config import Config\nfrom tenacity import retry, stop_after_attempt\n\n"
            f'bedrock = boto3.client("bedrock-runtime", config=Config(retries={{"total_max_attempts": {HUGE_HEX}}}))\n'
            '\n\n@retry(stop=stop_after_attempt(3))\ndef f():\n    return bedrock.converse(modelId="m", messages=[])\n')
    litellm = ("import litellm\nfrom tenacity import retry, stop_after_attempt\n\n"
               f"litellm.num_retries = {HUGE_HEX}\n\n\n@retry(stop=stop_after_attempt(3))\ndef f():\n"
               '    return litellm.completion(model="m", messages=[])\n')
    engine = Engine(Settings())
    (boto_stack,) = [d.message for d in engine.lint_source(boto, "m.py") if d.code == "RTL005"]
    (litellm_stack,) = [d.message for d in engine.lint_source(litellm, "m.py") if d.code == "RTL005"]
    assert "x boto3 bedrock-runtime client (10^18 or more: retries 10^18 or more) = up to 10^18 or more calls" in boto_stack
    assert ("x LiteLLM (provider SDK retries) (10^18 or more: retries 2 by default, litellm.num_retries="
            "0xffffffffff...ffff (5,002 characters) adds 0xffffffffff...ffff (5,002 characters))") in litellm_stack


def test_every_literal_becomes_a_number_through_one_helper():
    from retrylint.diagnostics import LargeLiteral, count_text, literal_number, number_text

    assert [literal_number(text) for text in ("3", "0x1F", "1_000", "0b101", "0o17", "1.5", "1e3", ".5", "0e0")] == [
        3, 31, 1000, 5, 15, 1.5, 1000.0, 0.5, 0.0]
    huge = literal_number(HUGE_HEX)
    assert isinstance(huge, LargeLiteral) and huge == int(HUGE_HEX, 16)
    assert (str(huge), str(-huge), f"{huge:,}") == (
        "0xffffffffff...ffff (5,002 characters)", "-0xffffffffff...ffff (5,002 characters)",
        "0xffffffffff...ffff (5,002 characters)")
    assert (count_text(huge), count_text(huge + 1), number_text(huge + 1), count_text(-huge - 1)) == (
        "10^18 or more", "10^18 or more", "10^18 or more", "-10^18 or less")
    assert str(literal_number("1000000000000000000")) == "1000000000000000000"  # short: as written
    assert literal_number("9" * 5000) >= 10 ** 4999  # over Python's limit: its size


# ----- file names -------------------------------------------------------------------------------------
@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that takes any bytes in names")
@pytest.mark.parametrize("output_format", ["concise", "full", "json", "json-lines", "github", "gitlab", "junit", "sarif"])
def test_file_names_that_are_not_utf8_or_hold_a_newline(tmp_path, monkeypatch, capsys, output_format):
    from xml.etree import ElementTree

    os.chdir(tmp_path)  # monkeypatch restores it
    monkeypatch.chdir(tmp_path)
    Path(os.fsdecode(b"bad\xff.py")).write_text(UNBOUNDED)
    Path("new\nline.py").write_text(UNBOUNDED)
    code, out, err = check(capsys, "--output-format", output_format, "-q")
    assert (code, err) == (1, [])
    text = "\n".join(out)
    text.encode("utf-8")  # no lone surrogate left
    if output_format == "sarif":
        results = json.loads(text)["runs"][0]["results"]
        assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results] == [
            "bad%FF.py", "new%0Aline.py"]
        return
    assert "bad\\xff.py" in text.replace("\\\\", "\\") and "new\\x0aline.py" in text.replace("\\\\", "\\")
    if output_format == "concise":
        assert out == ["bad\\xff.py" + UNBOUNDED_LINE, "new\\x0aline.py" + UNBOUNDED_LINE]
    elif output_format == "junit":
        cases = ElementTree.fromstring(text.split("\n", 1)[1]).iter("testcase")
        assert [case.get("file") for case in cases] == ["bad\\xff.py", "new\\x0aline.py"]
    elif output_format in ("json", "gitlab"):
        json.loads(text)


# ----- deep but valid code ------------------------------------------------------------------------------
def test_982_elif_branches_are_checked():
    branches = "".join(f"    elif x == {i}:\n        pass\n" for i in range(1, 982))
    source = PAID + f"@retry\ndef top(x):\n    if x == 0:\n        {CREATE}\n" + branches
    assert codes(source) == [("RTL001", 6), ("RTL002", 6), ("RTL005", 6), ("RTL006", 6)]


def test_200_chained_method_calls_are_checked():
    source = PAID + f"@retry\ndef top(q):\n    {CREATE}\n    q" + ".a()" * 200 + "\n"
    assert codes(source) == [("RTL001", 6), ("RTL002", 6), ("RTL003", 6), ("RTL005", 6), ("RTL006", 6)]


@pytest.mark.slow
def test_the_longest_elif_chain_python_compiles_is_checked_and_fixed():
    branches = "".join(f"    elif x == {i}:\n        pass\n" for i in range(1, 2800))
    one_branch = PAID + f"@retry\ndef top(x):\n    if x == 0:\n        {CREATE}\n"
    fixed = Engine(Settings()).fix_source(one_branch + branches, "m.py")
    # the fix breaks the long imports one name per line: the layer moves from line 6 to 18
    assert fixed.applied == 3 and [(d.code, d.line) for d in fixed.diagnostics] == [("RTL005", 18)]
    assert fixed.source == Engine(Settings()).fix_source(one_branch, "m.py").source + branches


def test_report_on_a_1000_function_chain(tmp_path, monkeypatch, capsys):
    functions = "".join(f"def f{i}():\n    f{i - 1}()\n\n" for i in range(1, 1000))
    (tmp_path / "a.py").write_text(PAID + f"def f0():\n    {CREATE}\n\n" + functions + "@retry\ndef top():\n    f999()\n")
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--format", "json", "a.py"]) == 0
    (point,) = json.loads(capsys.readouterr().out)
    assert (point["line"], point["attempts"], len(point["billable"][0]["chain"])) == (3006, None, 1002)


# ----- smaller: what may skip a file, what is one file ------------------------------------------------
@pytest.mark.parametrize(("header", "skipped"), [
    ("# retrylint: skip-file\n", True),
    ("x = 1  # retrylint: skip-file\n", True),
    ("x = '# retrylint: skip-file'\n", False),
    ('"""\n# retrylint: skip-file\n"""\n', False),
])
def test_only_a_comment_skips_a_file(header, skipped):
    assert codes(header + UNBOUNDED) == ([] if skipped else [("RTL001", header.count("\n") + 3)])


def test_a_file_reached_through_a_folder_symlink_and_its_real_path_is_checked_once(tmp_path, monkeypatch, capsys):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "m.py").write_text(UNBOUNDED)
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    for order in (["link", "real"], ["real", "link"], ["link/m.py", "real/m.py"]):
        assert check(capsys, "--output-format", "concise", "-q", *order) == (1, ["real/m.py" + UNBOUNDED_LINE], [])


# ----- bounded cost ---------------------------------------------------------------------------------
def test_module_models_kept_in_memory_are_bounded_by_count_and_source(tmp_path, monkeypatch):
    """Issue 14: every model loaded stayed (up to 512 whole trees), so memory grew with the tree.
    The least recently used are dropped once the models kept hold too much source or are too many."""
    from retrylint.analysis import project as project_module
    from retrylint.catalog import load_catalog

    for name in "abcde":
        (tmp_path / f"{name}.py").write_text(f"def {name}():\n    return 1\n" + "# padding\n" * 10)
    size = len((tmp_path / "a.py").read_text())
    monkeypatch.setattr(project_module, "MAX_CACHED_CHARACTERS", 3 * size)
    project = project_module.Project(load_catalog(), cwd=tmp_path)
    project.add_root(tmp_path)
    for name in "abcd":
        assert project.module(name) is not None
    assert [project.is_loaded(name) for name in "abcd"] == [False, True, True, True]
    project.module("b")  # used again: now the most recent
    project.module("e")
    assert [project.is_loaded(name) for name in "bcde"] == [True, False, True, True]
    assert project._cached_characters == 3 * size
    project.forget(tmp_path / "e.py")
    assert project._cached_characters == 2 * size
    monkeypatch.setattr(project_module, "MAX_CACHED_MODULES", 1)
    project.module("a")
    assert [project.is_loaded(name) for name in "abde"] == [True, False, False, False]
    assert project._cached_characters == size


def test_the_prefilter_is_linear_in_try_blocks():
    """10,000 ``try`` blocks and no retry layer took the prefilter 310 s (each ``try`` scanned
    back to its block's header and on to the loop's end); now about 0.1 s."""
    from retrylint.analysis.prefilter import Prefilter
    from retrylint.catalog import load_catalog

    hand_loop = Prefilter(load_catalog()).hand_loop
    blocks = "".join(f"        try:\n            x.a{i}()\n        except ValueError:\n            pass\n"
                     for i in range(10000))
    started = time.process_time()
    assert hand_loop("def f(x):\n" + blocks.replace("\n    ", "\n")) is False
    assert hand_loop("def f(x):\n    while True:\n" + blocks) is False
    assert hand_loop("def f(x):\n    while True:\n" + blocks + "        break\n") is True
    assert time.process_time() - started < 3  # a guard; each took minutes before


def test_old_cache_indexes_are_removed(tmp_path, monkeypatch, capsys):
    import retrylint.cache as cache

    (tmp_path / "a.py").write_text(UNBOUNDED)
    folder = tmp_path / "cache"
    folder.mkdir()
    old = [folder / f"{index:064x}.json" for index in range(cache.MAX_INDEXES + 3)]
    for age, path in enumerate(old):
        path.write_text("{}")
        os.utime(path, (1_000_000 - age, 1_000_000 - age))
    (folder / "notes.txt").write_text("not an index")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "-q", "--output-format", "concise", "--cache-dir", "cache", "a.py"]) == 1
    capsys.readouterr()
    kept = sorted(path.name for path in folder.iterdir())
    assert len([name for name in kept if name.endswith(".json")]) == cache.MAX_INDEXES
    assert [path.name for path in old[:cache.MAX_INDEXES - 1]] == [name for name in kept if name in
                                                                     {path.name for path in old}]
    assert "notes.txt" in kept


# ----- the processes of a run -----------------------------------------------------------------------
def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.add(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] != "Z":
                    alive.add(pid)
        except OSError:
            pass
    return alive


def _start_fixing(tmp_path: Path):
    import subprocess

    for index in range(1500):
        (tmp_path / f"m{index:04}.py").write_text(PAID + f"@retry\ndef f():\n    {CREATE}\n    {CREATE}\n")
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    process = subprocess.Popen([sys.executable, "-m", "retrylint", "check", "--no-cache", "-j2", "--fix", "-q", "."],
                               cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(_children(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = _children(process.pid)
    assert len(workers) >= 2, "the workers never started"
    return process, workers


def _written(tmp_path: Path) -> set[str]:
    return {path.name for path in tmp_path.glob("*.py") if "stop_after_attempt" in path.read_text()}


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_workers_die_with_a_killed_run_and_write_nothing_after(tmp_path):
    import signal

    process, workers = _start_fixing(tmp_path)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _alive(workers) == set()
    written = _written(tmp_path)
    time.sleep(2)
    assert _written(tmp_path) == written and len(written) < 1500


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_ctrl_c_stops_the_run_and_its_workers_quietly(tmp_path):
    import signal

    process, workers = _start_fixing(tmp_path)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal does: the whole process group
    out, err = process.communicate(timeout=60)
    assert (process.returncode, err) == (130, "")
    deadline = time.monotonic() + 10
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _alive(workers) == set()


@pytest.mark.parametrize("length", [200, 800])
def test_a_chain_of_chained_method_calls_costs_its_length_not_its_square(length):
    """Reach named each link of ``q.a().a()...`` by rendering its whole code, which holds every
    shorter link: 800 links took 12 s of CPU time. Now each link is rendered once; what is left
    grows with libcst's own parser (most of the 0.9 s the 800-link case takes now)."""
    source = PAID + f"@retry\ndef top(q):\n    {CREATE}\n    q" + ".a()" * length + "\n"
    started = time.process_time()
    assert codes(source) == [("RTL001", 6), ("RTL002", 6), ("RTL003", 6), ("RTL005", 6), ("RTL006", 6)]
    assert time.process_time() - started < 5  # a guard: about 0.1 s and 0.9 s


def test_a_chain_longer_than_python_compiles_is_one_rtl999_at_once():
    source = PAID + f"@retry\ndef top(q):\n    {CREATE}\n    q" + ".a()" * 5000 + "\n"
    started = time.process_time()
    assert [code for code, _ in codes(source)] == ["RTL999"]
    assert time.process_time() - started < 5


def test_a_short_name_for_each_link_of_a_chain_is_exact_and_linear():
    """How reach names a call after a paid one: its code on one line, cut to 40 characters, the
    same as rendering the whole code, for every link of a 1,400-link chain in well under the
    minutes a whole rendering of each took."""
    from retrylint.analysis.libcst_compat import parse_unchecked
    from retrylint.analysis.model.short_code import ShortCode, shortened
    from retrylint.stack import on_deep_stack

    def links(tree):
        node = tree.body[0].body[0].value
        found = []
        while isinstance(node, (cst.Call, cst.Attribute, cst.Subscript)):
            found.append(node)
            node = node.func if isinstance(node, cst.Call) else node.value
        return found

    def names(text, sample):
        tree = parse_unchecked(text)
        nodes = links(tree)
        short = ShortCode(tree)
        started = time.process_time()
        got = [short.short(node) for node in nodes]
        seconds = time.process_time() - started
        return [got[i] for i in sample], seconds, [shortened(tree.code_for_node(nodes[i]), 40) for i in sample]

    odd = "( q ).a( 1,\n  2 )[ 'k' ] . b  ( # note\n x ) ( ).c" + "".join(f".d{i}(y)[{i}]" for i in range(30)) + "\n"
    got, _, expected = on_deep_stack(names, odd, range(95))
    assert got == expected and got[0] == "( q ).a( 1, 2 )[ 'k' ] . b ( # note x..."
    got, seconds, expected = on_deep_stack(names, "q" + ".a()" * 1000 + "\n", [0, 1, 999, 1990, 1999])
    assert got == expected == ["q.a().a().a().a().a().a().a().a().a()..."] * 3 + ["q.a().a().a().a().a()", "q.a"]
    assert seconds < 2  # a guard: about 0.02 s (rendering each link's whole code: about 20 s)


def test_300_stacked_decorators_cost_their_size_not_its_square():
    """Each decorator's fix rendered the whole function: over 30 s for 300; now each renders
    only its decorator."""
    from retrylint.diagnostics import Edit

    source = PAID + "@retry\n" * 300 + f"def f():\n    {CREATE}\n"
    started = time.process_time()
    caps = [d for d in Engine(Settings()).lint_source(source, "m.py") if d.code == "RTL001"]
    assert time.process_time() - started < 15  # a guard: about 1 s
    import_edit = Edit(1, 27, 1, 27, ", stop_after_attempt")
    assert [(d.line, d.fix.edits) for d in caps] == [
        (line, (Edit(line, 7, line, 7, "(stop=stop_after_attempt(3))"), import_edit)) for line in range(6, 306)]


@pytest.mark.parametrize(("source", "fixed"), [
    ("class C:\n    @retry(\n        reraise=True,\n    )\n    def f(self):\n        pass\n",
     "class C:\n    @retry(\n        reraise=True,\n        stop=stop_after_attempt(3),\n    )\n    def f(self):\n        pass\n"),
    ("class C:\n    @retry(reraise=True,\n           wait=None)\n    def f(self):\n        pass\n",
     "class C:\n    @retry(reraise=True,\n           wait=None,\n           stop=stop_after_attempt(3))\n"
     "    def f(self):\n        pass\n"),
])
def test_a_fix_inside_an_indented_multi_line_call_keeps_its_layout(source, fixed):
    """Where a node alone does not render as the source holds it (its continuation lines owe
    their indentation to the block), the fix is rendered with its whole statement, as before."""
    result = Engine(Settings()).fix_source("from tenacity import retry\n\n\n" + source, "m.py", unsafe=True)
    assert result.source == "from tenacity import retry, stop_after_attempt\n\n\n" + fixed
    assert Engine(Settings()).fix_source(result.source, "m.py", unsafe=True).source == result.source


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that takes any bytes in names")
def test_report_prints_file_names_that_are_not_utf8_or_hold_a_newline(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    source = PAID + f"@retry\ndef f():\n    {CREATE}\n"
    Path(os.fsdecode(b"bad\xff.py")).write_text(source)
    Path("new\nline.py").write_text(source)
    assert main(["report", "--format", "json", "."]) == 0
    text = capsys.readouterr().out
    text.encode("utf-8")
    points = json.loads(text)
    assert [(point["path"], point["billable"][0]["chain"][0]["path"]) for point in points] == [
        ("bad\\xff.py", "bad\\xff.py"), ("new\\x0aline.py", "new\\x0aline.py")]
