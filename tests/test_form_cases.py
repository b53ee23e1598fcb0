"""Every retry form, library default and combination the spec names, as data: the case files in
cases/forms/ give a module and the exact findings on it.

Format of a ``.cases`` file: each case starts with ``# case: NAME`` at the start of a line, then may
say ``# prelude: NAME`` (the module starts with that header from preludes.cases, then a blank line)
and ``# settings: {JSON}`` (keyword arguments of ``Settings``, lists read as tuples). Each
``# expect: CODE MESSAGE`` line stands just above the line the finding is on; a case without one
expects no finding. The ``# expect:`` lines are removed before linting, so they move no line, and
the module is linted as ``tasks.py``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from retrylint.engine import Engine
from retrylint.settings import Settings

CASES = Path(__file__).resolve().parent / "cases" / "forms"
EXPECT = re.compile(r"^\s*# expect: (?P<code>[A-Z]+[0-9]+) (?P<message>.+)$")


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    settings: dict
    expected: list[tuple[int, str, str]]  # (line, code, message), in line order


def sections(path: Path, kind: str) -> list[tuple[str, str]]:
    """(name, text) of each section of ``path`` that starts with a ``# KIND: NAME`` line."""
    text = path.read_text(encoding="utf-8")
    headers = list(re.finditer(rf"^# {kind}: (.+)$", text, re.MULTILINE))
    ends = [header.start() for header in headers[1:]] + [len(text)]
    return [(header[1], text[header.end() + 1:end]) for header, end in zip(headers, ends)]


def module_text(lines: list[str]) -> str:
    return "\n".join(lines).rstrip("\n") + "\n"


PRELUDES = {name: module_text(text.split("\n")) for name, text in sections(CASES / "preludes.cases", "prelude")}


def parse_case(name: str, text: str) -> Case:
    lines = text.split("\n")
    prelude, settings = "", {}
    while lines and lines[0].startswith(("# prelude: ", "# settings: ")):
        directive, _, value = lines.pop(0).partition(": ")
        if directive == "# prelude":
            prelude = PRELUDES[value] + "\n"
        else:
            settings = {key: tuple(item) if isinstance(item, list) else item for key, item in json.loads(value).items()}
    body, pending, expected = [], [], []
    offset = prelude.count("\n")
    for line in lines:
        match = EXPECT.match(line)
        if match:
            pending.append((match["code"], match["message"]))
            continue
        body.append(line)
        expected += [(offset + len(body), code, message) for code, message in pending]
        pending = []
    assert not pending, f"{name}: '# expect:' with no line after it"
    return Case(name, prelude + module_text(body), settings, expected)


def load_cases() -> list[Case]:
    return [parse_case(name, text) for path in sorted(CASES.glob("*.cases")) if path.name != "preludes.cases"
            for name, text in sections(path, "case")]


ALL_CASES = load_cases()


def test_case_names_are_unique():
    names = [case.name for case in ALL_CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.name for case in ALL_CASES])
def test_case(case: Case):
    diagnostics = Engine(Settings(**case.settings)).lint_source(case.source, "tasks.py")
    assert sorted((d.line, d.code, d.message) for d in diagnostics) == sorted(case.expected)
