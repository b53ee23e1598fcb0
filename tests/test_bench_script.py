"""bench/compare.py loads, parses its options and formats its table (no tool is run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import bench_script



@pytest.fixture(scope="module")
def compare():
    with bench_script("compare") as module:
        yield module


def test_arguments(compare):
    args = compare.build_parser().parse_args(
        ["--quick", "--corpus", "/c/src", "--jobs", "3", "--markdown-out", "t.md"]
    )
    assert (args.quick, args.corpus, args.jobs, args.markdown_out) == (
        True, Path("/c/src"), 3, Path("t.md"))
    defaults = compare.build_parser().parse_args([])
    assert defaults.quick is False and defaults.corpus is None and defaults.markdown_out is None
    assert defaults.retrylint is None  # a copy of the checkout's code is measured


def test_table_on_fake_timings(compare):
    Run = compare.Run
    runs = [
        Run("retrylint, cold", 12.345, 300 * 1024, ["--jobs 2"]),
        Run("retrylint, one file", 0.5, 48 * 1024, ["a | b"], ratio=False),
        Run("flake8", 120.0, 64 * 1024, ["default settings, -j 2"]),
        Run("Fixit", 1666.7, None, ["scaled from a slice of 40,000 lines"]),
    ]
    assert compare.format_table(runs, flake8_wall=120.0) == (
        "| tool | wall time (s) | peak RSS (MiB) | ratio to flake8 | notes |\n"
        "|---|---:|---:|---:|---|\n"
        "| retrylint, cold | 12.3 | 300 | 0.103 | --jobs 2 |\n"
        "| retrylint, one file | 0.50 | 48 | – | a \\| b |\n"
        "| flake8 | 120.0 | 64 | 1.000 | default settings, -j 2 |\n"
        "| Fixit | 1666.7 | – | 13.889 | scaled from a slice of 40,000 lines |\n"
    )


def test_targets_on_fake_timings(compare):
    Run = compare.Run
    cold, warm = Run("cold", 10.0, 2 * 1024 * 1024), Run("warm", 1.0, 50 * 1024)
    flake8, one, recheck = Run("flake8", 120.0, 1024), Run("one", 0.2, 1024), Run("recheck", 0.1, None)
    assert compare.format_targets(cold, warm, flake8, one, recheck, parse=0.05, startup=0.02,
                                  import_and_parse=0.2) == (
        "- cold run ≤ 0.10 × flake8: 0.083 × — met\n"
        "- warm run ≤ 0.01 × flake8: 0.008 × — met\n"
        "- one file ≤ 3 × parse + start-up = 3 × 0.050 + 0.020 = 0.170 s: 0.200 s — **not met**; "
        "counting libcst's import as part of its parse, 3 × 0.180 + 0.020 = 0.560 s — met; "
        "re-checked in a running process (the editor's path): 0.100 s — met against 3 × parse\n"
        "- peak memory of the cold run ≤ 1 GiB: 2,048 MiB — **not met**\n"
    )


def test_memory_target_of_one_worker(compare):
    Run = compare.Run
    single, grown = Run("1x", 20.0, 200 * 1024), Run("4x", 80.0, 210 * 1024)
    assert compare.memory_target(single, grown) == (
        "- one worker (`-j1 --no-cache`) peaks under 300 MB, flat as the tree grows: 200 MiB on the corpus, "
        "210 MiB on four copies of it (1.05 ×) — met"
    )
    assert compare.memory_target(single, Run("4x", 80.0, 561 * 1024)).endswith("(2.81 ×) — **not met**")
    assert compare.memory_target(Run("1x", 20.0, 290 * 1024), Run("4x", 80.0, 290 * 1024)).endswith("— **not met**")


def test_replicate_links_every_copy(compare, tmp_path):
    corpus = tmp_path / "src"
    (corpus / "pkg").mkdir(parents=True)
    (corpus / "pkg" / "m.py").write_text("x = 1\n")
    (corpus / "README").write_text("not Python\n")
    grown = compare.replicate(corpus, tmp_path / "grown", 2)
    assert sorted(p.relative_to(grown).as_posix() for p in grown.rglob("*") if p.is_file()) == [
        "copy1/pkg/m.py", "copy2/pkg/m.py"]
    assert (grown / "copy2" / "pkg" / "m.py").read_text() == "x = 1\n"


def test_stride_slice_spans_the_files(compare):
    paths = [Path(f"f{i}.py") for i in range(10)]
    lines = {p: 100 for p in paths}
    assert compare.stride_slice(paths, lines, target=300) == paths[::3]
    assert compare.stride_slice(paths, lines, target=10_000) == paths
