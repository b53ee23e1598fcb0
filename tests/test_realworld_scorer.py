"""bench/realworld.py: reading labels, matching findings to them, the table (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import bench_script

HEADER = "package\tpath\tlines\trule\tverdict\treason\n"


@pytest.fixture(scope="module")
def rw():
    with bench_script("realworld") as module:
        yield module


def write_labels(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "labels.tsv"
    path.write_text("# a comment\n" + HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def test_reads_labels(rw, tmp_path):
    path = write_labels(tmp_path, ["demo==1.0\tdemo/a.py\t3-9\tRTL004\tsilent\tThe input changes on each retry."])
    assert rw.read_labels(path) == [rw.Label("demo==1.0", "demo/a.py", 3, 9, "RTL004", "silent",
                                             "The input changes on each retry.")]
    assert rw.read_labels(path)[0].group == "RTL002+RTL004"


@pytest.mark.parametrize("row, error", [
    ("demo==1.0\tdemo/a.py\t9-3\tRTL001\tfire\tr", "bad package 'demo==1.0' or line range '9-3'"),
    ("demo\tdemo/a.py\t3-9\tRTL001\tfire\tr", "bad package 'demo' or line range '3-9'"),
    ("demo==1.0\tdemo/a.py\t3-9\tRTL009\tfire\tr", "bad rule 'RTL009', verdict 'fire' or empty reason"),
    ("demo==1.0\tdemo/a.py\t3-9\tRTL001\tmaybe\tr", "bad rule 'RTL001', verdict 'maybe' or empty reason"),
    ("demo==1.0\tdemo/a.py\t3-9\tRTL001\tfire\t ", "bad rule 'RTL001', verdict 'fire' or empty reason"),
    ("demo==1.0\tdemo/a.py\t3-9\tRTL001\tfire", "row 3 has 5 columns, not 6"),
])
def test_rejects_malformed_rows(rw, tmp_path, row, error):
    path = write_labels(tmp_path, [row])
    with pytest.raises(rw.LabelError) as raised:
        rw.read_labels(path)
    assert str(raised.value).endswith(error)


def test_rejects_a_missing_header(rw, tmp_path):
    path = tmp_path / "labels.tsv"
    path.write_text("demo==1.0\tdemo/a.py\t3-9\tRTL001\tfire\tr\n", encoding="utf-8")
    with pytest.raises(rw.LabelError, match="the first row must be the header"):
        rw.read_labels(path)


def test_rejects_overlapping_labels_that_disagree(rw, tmp_path):
    path = write_labels(tmp_path, ["demo==1.0\tdemo/a.py\t3-9\tRTL002\tfire\tbroad",
                                   "demo==1.0\tdemo/a.py\t5-6\tRTL004\tsilent\tnarrow"])
    with pytest.raises(rw.LabelError) as raised:
        rw.read_labels(path)
    assert str(raised.value) == ("labels overlap: demo==1.0 demo/a.py:3-9 RTL002 fire and "
                                 "demo==1.0 demo/a.py:5-6 RTL004 silent")


def test_overlapping_labels_of_other_rules_are_fine(rw, tmp_path):
    path = write_labels(tmp_path, ["demo==1.0\tdemo/a.py\t3-9\tRTL002\tfire\tbroad",
                                   "demo==1.0\tdemo/a.py\t3-9\tRTL001\tsilent\tcapped"])
    assert [label.rule for label in rw.read_labels(path)] == ["RTL002", "RTL001"]


def label(rw, rule, verdict, lines=(10, 20), path="demo/a.py"):
    return rw.Label("demo==1.0", path, lines[0], lines[1], rule, verdict, f"{rule} {verdict}")


def finding(rw, code, line, path="demo/a.py", package="demo==1.0"):
    return rw.Finding(package, path, line, code, "message")


def test_matching(rw):
    labels = [
        label(rw, "RTL001", "fire"),                      # hit at its first line: TP
        label(rw, "RTL005", "fire"),                      # nothing of RTL005 in range: FN
        label(rw, "RTL002", "fire", (30, 40)),            # hit by the companion RTL004: TP
        label(rw, "RTL003", "silent"),                    # hit at its last line: FP
        label(rw, "RTL006", "silent"),                    # a hit in another file only: TN
    ]
    findings = [
        finding(rw, "RTL001", 10),
        finding(rw, "RTL005", 21),                        # one line past the range: unlabelled
        finding(rw, "RTL004", 35),
        finding(rw, "RTL003", 20),
        finding(rw, "RTL006", 15, path="demo/b.py"),      # unlabelled
        finding(rw, "RTL001", 15, package="other==2"),    # unlabelled
        finding(rw, "RTL999", 12),                        # not a scored rule: ignored
    ]
    result = rw.score(labels, findings)
    s = result.scores
    assert (s["RTL001"].tp, s["RTL005"].fn, s["RTL002+RTL004"].tp) == ([labels[0]], [labels[1]], [labels[2]])
    assert (s["RTL003"].fp, s["RTL006"].tn) == ([labels[3]], [labels[4]])
    assert result.unlabelled == [findings[1], findings[4], findings[5]]
    assert (s["RTL001"].precision, s["RTL001"].recall) == (1.0, 1.0)
    assert (s["RTL005"].precision, s["RTL005"].recall) == (None, 0.0)
    assert (s["RTL003"].precision, s["RTL003"].recall) == (0.0, None)


def test_a_finding_under_an_unscored_label_is_neither_counted_nor_unlabelled(rw):
    """--blind scores the blind labels only; a finding an [after] label covers is not new."""
    after = label(rw, "RTL003", "fire", (30, 40))
    findings = [finding(rw, "RTL003", 35), finding(rw, "RTL003", 45)]
    result = rw.score([label(rw, "RTL001", "fire")], findings, unscored=[after])
    assert result.unlabelled == [findings[1]]
    assert (result.scores["RTL003"].tp, result.scores["RTL001"].fn) == ([], [label(rw, "RTL001", "fire")])


def test_markdown_table(rw):
    labels = [label(rw, "RTL001", "fire"), label(rw, "RTL001", "silent", (30, 40)),
              label(rw, "RTL001", "fire", (50, 60)), label(rw, "RTL005", "silent")]
    result = rw.score(labels, [finding(rw, "RTL001", 12), finding(rw, "RTL001", 33)])
    assert rw.format_table(result, markdown=True) == (
        "| rule | fire labels | silent labels | TP | FN | FP | precision | recall |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|\n"
        "| RTL001 | 2 | 1 | 1 | 1 | 1 | 0.50 | 0.50 |\n"
        "| RTL002+RTL004 | 0 | 0 | 0 | 0 | 0 | – | – |\n"
        "| RTL003 | 0 | 0 | 0 | 0 | 0 | – | – |\n"
        "| RTL005 | 0 | 1 | 0 | 0 | 0 | – | – |\n"
        "| RTL006 | 0 | 0 | 0 | 0 | 0 | – | – |\n"
    )
    details = rw.format_details(result)
    assert "False positives (silent labels with a finding): 1\n  RTL001 demo==1.0 demo/a.py:30-40\n" in details
    assert "False negatives (fire labels without a finding): 1\n  RTL001 demo==1.0 demo/a.py:50-60\n" in details


def test_release_folder(rw, tmp_path):
    assert rw.release_dir(tmp_path, "Pydantic-AI-Slim==2.68.0") == tmp_path / "src" / "pydantic_ai_slim-2.68.0"


def test_bad_labels_file_is_one_line_and_exit_2(rw, tmp_path, capsys):
    path = tmp_path / "labels.tsv"
    path.write_text("nonsense\n", encoding="utf-8")
    assert rw.main(["--labels", str(path), "--cache", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"realworld: {path}: the first row must be the header package / path / lines / rule / verdict / reason\n"


@pytest.mark.slow
def test_scores_a_local_release_without_network(rw, tmp_path):
    package = tmp_path / "src" / "demo-1.0" / "demo"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "jobs.py").write_text(
        "from tenacity import retry, stop_after_attempt\n"
        "\n"
        "@retry\n"
        "def forever():\n"
        "    return 1\n"
        "\n"
        "@retry(stop=stop_after_attempt(3))\n"
        "def capped():\n"
        "    return 2\n",
        encoding="utf-8")
    labels = [rw.Label("demo==1.0", "demo/jobs.py", 3, 5, "RTL001", "fire", "bare @retry"),
              rw.Label("demo==1.0", "demo/jobs.py", 7, 9, "RTL001", "silent", "stop_after_attempt(3)")]
    result = rw.evaluate(labels, tmp_path, why=True)
    assert result.errors == []
    assert (result.scores["RTL001"].tp, result.scores["RTL001"].tn) == ([labels[0]], [labels[1]])
    assert result.unlabelled == []
    assert result.layers == [rw.Layer("demo==1.0", "demo/jobs.py", 3, "tenacity @retry on 'forever'", ()),
                             rw.Layer("demo==1.0", "demo/jobs.py", 7, "tenacity @retry on 'capped'", ())]


def test_only_selects_releases_by_name(rw):
    labels = [label(rw, "RTL001", "fire"), rw.Label("Pydantic-AI-Slim==2.68.0", "p.py", 1, 2, "RTL001", "fire", "r")]
    assert rw.select(labels, "pydantic_ai_slim, other") == [labels[1]]
    assert rw.select(labels, "") == labels
    assert rw.build_parser().parse_args(["--only", "demo"]).only == "demo"


def test_only_with_no_match_is_one_line_and_exit_2(rw, tmp_path, capsys):
    path = write_labels(tmp_path, ["demo==1.0\tdemo/a.py\t3-9\tRTL001\tfire\tr"])
    assert rw.main(["--labels", str(path), "--cache", str(tmp_path), "--only", "nothing"]) == 2
    assert capsys.readouterr().err == "realworld: no labels for --only nothing\n"


def test_explains_false_negatives(rw):
    fn = label(rw, "RTL005", "fire")
    layers = [rw.Layer("demo==1.0", "demo/a.py", 12, "tenacity @retry on 'f'", ()),
              rw.Layer("demo==1.0", "demo/a.py", 18, "hand-written retry loop", ("messages.create", "converse")),
              rw.Layer("demo==1.0", "demo/b.py", 12, "elsewhere", ())]
    assert rw.explain(fn, layers) == ("tenacity @retry on 'f' reaches no billable call; "
                                      "hand-written retry loop reaches messages.create, converse")
    assert rw.explain(label(rw, "RTL005", "fire", (30, 40)), layers) == (
        "retrylint report shows no retry entry point here (a layer under another one shows only in its stack)")
    result = rw.score([fn], [])
    result.layers = layers[:1]
    assert ("  RTL005 demo==1.0 demo/a.py:10-20\n      RTL005 fire\n"
            "      -> tenacity @retry on 'f' reaches no billable call\n") in rw.format_details(result)


def test_rows_after_an_after_mark_are_not_blind(rw, tmp_path):
    path = write_labels(tmp_path, [
        "demo==1.0\tdemo/a.py\t1-2\tRTL001\tfire\tr",
        "# labelled after retrylint flagged them [after]",
        "demo==1.0\tdemo/a.py\t3-4\tRTL001\tfire\tr",
        "# new releases, read first [blind]",
        "demo==1.0\tdemo/a.py\t5-6\tRTL001\tfire\tr",
    ])
    assert [(label.start, label.blind) for label in rw.read_labels(path)] == [(1, True), (3, False), (5, True)]
