"""CI output formats, run through the real command and compared with its JSON; SARIF is validated
against the official SARIF 2.1.0 schema, fetched from npm (``@microsoft/jest-sarif``) once."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest

from retrylint.diagnostics import Diagnostic
from retrylint.output.ci_formats import format_github
from retrylint.rules import ALL_RULES
from helpers import TASKS, run, write

SCHEMA_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
SCHEMA_MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"
CACHE = Path(__file__).parent / ".cache" / "jest-sarif-1.0.0-beta.0"


@pytest.fixture(scope="session")
def sarif_schema() -> dict:
    """The SARIF 2.1.0 schema, from ``npm pack`` into tests/.cache (fails, never skips, without npm)."""
    schema_file = CACHE / "sarif-2.1.0-rtm.5.json"
    if not schema_file.is_file():
        npm = shutil.which("npm")
        assert npm, "npm is needed to fetch the SARIF schema"
        CACHE.mkdir(parents=True, exist_ok=True)
        packed = subprocess.run([npm, "pack", SCHEMA_PACKAGE, "--json"], cwd=CACHE, check=True,
                                capture_output=True, text=True)
        tarball = CACHE / json.loads(packed.stdout)[0]["filename"]
        with tarfile.open(tarball) as archive:
            schema_file.write_bytes(archive.extractfile(SCHEMA_MEMBER).read())
        tarball.unlink()
    return json.loads(schema_file.read_text())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path, "tasks.py", TASKS)
    return tmp_path


def output(project: Path, output_format: str) -> str:
    result = run(project, "check", "--output-format", output_format)
    assert result.returncode == 1, result.stderr
    return result.stdout


def test_json_lines_is_json_one_per_line(project):
    expected = json.loads(output(project, "json"))
    lines = output(project, "json-lines").splitlines()
    assert [json.loads(line) for line in lines] == expected


def test_sarif_validates_and_matches_json(project, sarif_schema):
    expected = json.loads(output(project, "json"))
    log = json.loads(output(project, "sarif"))
    jsonschema.validate(log, sarif_schema)
    run_ = log["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [rule.code for rule in ALL_RULES]
    assert all(rule["help"]["text"] for rule in rules)
    results = run_["results"]
    found = [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"],
              r["locations"][0]["physicalLocation"]["region"]["startColumn"], r["message"]["text"])
             for r in results]
    assert found == [(d["code"], d["line"], d["column"], d["message"]) for d in expected]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "tasks.py"
    for result, diagnostic in zip(results, expected):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert ("fixes" in result) == (diagnostic["fix"] is not None)
        chain = [(loc["physicalLocation"]["region"]["startLine"], loc["message"]["text"])
                 for loc in result.get("relatedLocations", [])]
        assert chain == [(link["line"], link["name"]) for link in diagnostic["chain"]]
    fix = results[0]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    edit = expected[0]["fix"]["edits"][0]
    assert fix["insertedContent"]["text"] == edit["content"]
    assert fix["deletedRegion"]["startColumn"] == edit["column"]


def test_sarif_names_the_tool_and_fingerprints_results_as_the_baseline_does(project, sarif_schema):
    log = json.loads(output(project, "sarif"))
    jsonschema.validate(log, sarif_schema)
    assert log["runs"][0]["tool"]["driver"]["informationUri"] == "https://pypi.org/project/retrylint/"
    sarif = [result["partialFingerprints"]["retrylint/v1"] for result in log["runs"][0]["results"]]
    assert run(project, "check", "--write-baseline", "baseline.json").returncode == 0
    recorded = [finding["fingerprint"] for finding in json.loads((project / "baseline.json").read_text())["findings"]]
    assert sarif == recorded and len(set(sarif)) == len(sarif) == 5
    write(project, "tasks.py", "import os\n\n" + TASKS)  # the findings move down two lines
    moved = json.loads(output(project, "sarif"))["runs"][0]["results"]
    assert [result["partialFingerprints"]["retrylint/v1"] for result in moved] == sarif
    assert moved[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 14


def test_sarif_for_a_clean_project_validates(tmp_path, sarif_schema):
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = run(tmp_path, "check", "--output-format", "sarif")
    assert result.returncode == 0
    log = json.loads(result.stdout)
    jsonschema.validate(log, sarif_schema)
    assert log["runs"][0]["results"] == []


def test_github_annotations_match_json(project):
    expected = json.loads(output(project, "json"))
    lines = output(project, "github").splitlines()
    assert len(lines) == len(expected)
    first = expected[0]
    assert lines[0] == (
        f"::error file=tasks.py,line={first['line']},col={first['column']},endLine={first['end_line']},"
        f"endColumn={first['end_column']},title={first['code']} {first['name']}::{first['message']}"
    )


def test_github_escapes_data_and_properties():
    diagnostic = Diagnostic("RTL001", "unbounded-retry", "50% of\nruns", "a,b:c.py", 1, 1, 1, 2)
    assert format_github([diagnostic]) == (
        "::error file=a%2Cb%3Ac.py,line=1,col=1,endLine=1,endColumn=2,"
        "title=RTL001 unbounded-retry::50%25 of%0Aruns\n"
    )


def test_gitlab_code_quality_report_with_stable_fingerprints(project):
    expected = json.loads(output(project, "json"))
    report = json.loads(output(project, "gitlab"))
    assert [(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in report] == [
        (d["code"], d["path"], d["line"]) for d in expected
    ]
    assert {i["severity"] for i in report} == {"major"}
    fingerprints = [i["fingerprint"] for i in report]
    assert len(set(fingerprints)) == len(fingerprints)
    (project / "tasks.py").write_text("# a comment moves every line\n" + TASKS)
    moved = json.loads(output(project, "gitlab"))
    assert [i["fingerprint"] for i in moved] == fingerprints
    assert moved[0]["location"]["lines"]["begin"] == report[0]["location"]["lines"]["begin"] + 1


def test_junit_has_one_failure_per_diagnostic(project, tmp_path):
    expected = json.loads(output(project, "json"))
    root = ElementTree.fromstring(output(project, "junit"))
    cases = root.findall("./testsuite/testcase")
    assert root.get("failures") == str(len(expected))
    assert [case.find("failure").get("type") for case in cases] == [d["code"] for d in expected]
    assert cases[0].get("file") == "tasks.py" and cases[0].get("line") == str(expected[0]["line"])
    clean = tmp_path / "clean"
    write(clean, "ok.py", "x = 1\n")
    result = run(clean, "check", "--output-format", "junit")
    assert result.returncode == 0
    assert ElementTree.fromstring(result.stdout).get("failures") == "0"


@pytest.mark.parametrize("output_format", ["json-lines", "sarif", "github", "gitlab", "junit"])
def test_machine_formats_print_no_summary(project, output_format):
    assert not re.search(r"^(Found \d+ error|All checks passed)", output(project, output_format), re.M)
