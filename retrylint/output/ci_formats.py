"""Machine-readable output for CI: json-lines, SARIF 2.1.0, GitHub annotations, GitLab Code
Quality and JUnit XML. Each formatter takes sorted diagnostics and returns the whole text."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Mapping
from urllib.parse import quote
from xml.etree import ElementTree

from retrylint import __version__
from retrylint.diagnostics import Applicability, Diagnostic, Edit

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/retrylint/"
FINGERPRINT_KEY = "retrylint/v1"  # the baseline's fingerprint (output/baseline.py)
GITLAB_SEVERITY = {"error": "major", "warning": "minor"}
LINE_REFERENCE = re.compile(r"(?<=\.py):\d+")  # "tasks.py:19" in a message's chain


def format_json_lines(diagnostics: Iterable[Diagnostic]) -> str:
    """One JSON object (as in ``--output-format json``) per line."""
    return "".join(json.dumps(d.to_json()) + "\n" for d in diagnostics)


# ----- SARIF ------------------------------------------------------------------------------
def format_sarif(diagnostics: Iterable[Diagnostic], texts: Mapping[str, str] | None = None) -> str:
    """A SARIF 2.1.0 log with one run: the rules, then one result per diagnostic, each with the
    baseline's fingerprint (from the sources in ``texts``) so that code scanning follows it."""
    from retrylint.output.baseline import fingerprints
    from retrylint.rules import ALL_RULES  # libcst loads only for the formats that list the rules

    diagnostics = list(diagnostics)
    rule_index = {rule.code: index for index, rule in enumerate(ALL_RULES)}
    results = []
    for diagnostic, fingerprint in zip(diagnostics, fingerprints(diagnostics, texts or {}, Path.cwd())):
        result = _sarif_result(diagnostic, rule_index)
        result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint}
        results.append(result)
    run = {
        "tool": {"driver": {
            "name": "retrylint",
            "version": __version__,
            "informationUri": INFORMATION_URI,
            "rules": [_sarif_rule(rule) for rule in ALL_RULES],
        }},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


def _sarif_rule(rule) -> dict:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": rule.summary()},
        "help": {"text": rule.documentation(), "markdown": rule.documentation()},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["retry-safety"]},
    }


def _sarif_result(diagnostic: Diagnostic, rule_index: dict[str, int]) -> dict:
    region = {"startLine": diagnostic.line, "startColumn": diagnostic.column,
              "endLine": diagnostic.end_line, "endColumn": max(diagnostic.end_column, diagnostic.column)}
    result = {
        "ruleId": diagnostic.code,
        "level": "error" if diagnostic.severity == "error" else "warning",
        "message": {"text": diagnostic.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": _artifact(diagnostic.path), "region": region}}],
    }
    if diagnostic.code in rule_index:
        result["ruleIndex"] = rule_index[diagnostic.code]
    if diagnostic.chain:
        result["relatedLocations"] = [
            {"id": index, "message": {"text": link.name},
             "physicalLocation": {"artifactLocation": _artifact(link.path), "region": {"startLine": link.line}}}
            for index, link in enumerate(diagnostic.chain)
        ]
    if diagnostic.fix is not None:
        unsafe = diagnostic.fix.applicability is Applicability.UNSAFE
        result["fixes"] = [{
            "description": {"text": diagnostic.fix.message + (" (unsafe fix)" if unsafe else "")},
            "artifactChanges": [{"artifactLocation": _artifact(diagnostic.path),
                                 "replacements": [_sarif_replacement(e) for e in diagnostic.fix.edits]}],
        }]
    return result


def _sarif_replacement(edit: Edit) -> dict:
    return {
        "deletedRegion": {"startLine": edit.line, "startColumn": edit.column,
                          "endLine": edit.end_line, "endColumn": edit.end_column},
        "insertedContent": {"text": edit.content},
    }


def _artifact(path: str) -> dict:
    """A file's location as a URI: its name's bytes percent-encoded (spaces, newlines, bytes
    that are not UTF-8)."""
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute():
        return {"uri": "file://" + quote(os.fsencode(str(posix)))}
    return {"uri": quote(os.fsencode(str(posix))), "uriBaseId": "%SRCROOT%"}


# ----- GitHub Actions workflow commands ---------------------------------------------------
def format_github(diagnostics: Iterable[Diagnostic]) -> str:
    """``::error file=...,line=...::message`` annotations, one per line."""
    lines = []
    for d in diagnostics:
        properties = {"file": d.path, "line": d.line, "col": d.column, "endLine": d.end_line,
                      "endColumn": d.end_column, "title": f"{d.code} {d.name}"}
        fields = ",".join(f"{key}={_github_escape(str(value), property_=True)}" for key, value in properties.items())
        level = "error" if d.severity == "error" else "warning"
        lines.append(f"::{level} {fields}::{_github_escape(d.message)}\n")
    return "".join(lines)


def _github_escape(value: str, *, property_: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


# ----- GitLab Code Quality ----------------------------------------------------------------
def format_gitlab(diagnostics: Iterable[Diagnostic]) -> str:
    """A Code Quality report; a fingerprint hashes code, path, message without line numbers and the
    repeat count, so it survives code moving up or down."""
    seen: Counter = Counter()
    issues = []
    for d in diagnostics:
        key = (d.code, d.path, LINE_REFERENCE.sub("", d.message))
        seen[key] += 1
        fingerprint = hashlib.sha256("\0".join([*key, str(seen[key])]).encode()).hexdigest()
        issues.append({
            "description": f"{d.code} {d.message}",
            "check_name": d.code,
            "fingerprint": fingerprint,
            "severity": GITLAB_SEVERITY.get(d.severity, "major"),
            "location": {"path": d.path, "lines": {"begin": d.line, "end": d.end_line}},
        })
    return json.dumps(issues, indent=2) + "\n"


# ----- JUnit XML --------------------------------------------------------------------------
def format_junit(diagnostics: Iterable[Diagnostic]) -> str:
    """One test suite; one failed test case per diagnostic, or one passing case when clean."""
    diagnostics = list(diagnostics)
    root = ElementTree.Element("testsuites", name="retrylint", tests=str(max(len(diagnostics), 1)),
                               failures=str(len(diagnostics)), errors="0")
    suite = ElementTree.SubElement(root, "testsuite", name="retrylint", tests=root.get("tests"),
                                   failures=root.get("failures"), errors="0")
    for d in diagnostics:
        case = ElementTree.SubElement(suite, "testcase", name=f"{d.code} {d.path}:{d.line}:{d.column}",
                                      classname=d.path, file=d.path, line=str(d.line))
        failure = ElementTree.SubElement(case, "failure", message=d.message, type=d.code)
        failure.text = f"{d.path}:{d.line}:{d.column}: {d.code} {d.name}: {d.message}"
    if not diagnostics:
        ElementTree.SubElement(suite, "testcase", name="retrylint", classname="retrylint")
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


MACHINE_FORMATS: dict[str, Callable[[Iterable[Diagnostic]], str]] = {
    "json-lines": format_json_lines,
    "sarif": format_sarif,
    "github": format_github,
    "gitlab": format_gitlab,
    "junit": format_junit,
}
