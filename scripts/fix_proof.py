#!/usr/bin/env python3
"""Proof that ``--fix --unsafe-fixes`` never breaks code, run over whole trees.

Every tree is first COPIED to a scratch folder (the originals are never written). Then, for each
``*.py`` file of the copy, the engine's fixes are applied and written with the same atomic writer the
CLI uses, and the script checks that:

* the written file still compiles (as bytes, so its coding cookie and BOM are honoured), in the
  same encoding and with the same newline style as before;
* a second fix run on the written file changes nothing (fixes are idempotent);
* no diagnostic that had a fix comes back, and none with a fix is left behind.

Trees: any folders given with ``--tree`` (e.g. the pinned benchmark corpus, laid out by
``bash ../shared/bench/corpus.sh``), plus, unless ``--no-builtin``, retrylint's own material, which
holds far more findings than real code: ``examples/``, ``tests/corpus/`` and the rule modules'
VALID/INVALID cases, each also as a CRLF variant, a latin-1 variant with a PEP 263 cookie, a
BOM variant and a tab-indented variant.

    python scripts/fix_proof.py --tree /tmp/retrylint-corpus/src --jobs 2

Exit status 0 when every check held, 1 otherwise. ``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import codecs
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from retrylint.diagnostics import Applicability, Diagnostic  # noqa: E402
from retrylint.engine import Engine  # noqa: E402
from retrylint.settings import Settings  # noqa: E402
from retrylint.sources import SourceError, read_source  # noqa: E402
from retrylint.fixing.writer import write_atomically  # noqa: E402

LATIN1_COOKIE = "# -*- coding: latin-1 -*-\n"


@dataclass
class FileReport:
    path: str
    unreadable: bool = False
    diagnostics: int = 0
    fixable: int = 0
    changed: bool = False
    applied: int = 0
    failures: list[str] = field(default_factory=list)


# ----- building the scratch trees ------------------------------------------------------------
def copy_tree(source: Path, destination: Path) -> None:
    """Copy the ``*.py`` files of ``source`` (and the folders holding them) to ``destination``."""

    def ignore(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if not n.endswith(".py") and not os.path.isdir(os.path.join(folder, n))]

    shutil.copytree(source, destination, ignore=ignore, symlinks=True, dirs_exist_ok=True)


def case_sources() -> dict[str, str]:
    """Named seed sources: the rule modules' cases, the silent corpus, the incident example."""
    from retrylint.rules import ALL_RULES

    seeds: dict[str, str] = {}
    for rule in ALL_RULES:
        for kind, cases in (("invalid", rule.INVALID), ("valid", rule.VALID)):
            for index, case in enumerate(cases):
                seeds[f"{rule.code.lower()}_{kind}_{index}"] = case.code
    for path in sorted((REPO / "tests" / "corpus").rglob("*.py")):
        seeds[f"corpus_{path.stem}"] = path.read_text(encoding="utf-8")
    for path in sorted((REPO / "examples").rglob("*.py")):
        seeds[f"example_{path.parent.name}_{path.stem}"] = path.read_text(encoding="utf-8")
    return seeds


def variants(name: str, text: str) -> dict[str, bytes]:
    """A seed as it is, and as CRLF, latin-1 with a cookie, BOM and tab-indented files."""
    out = {f"{name}.py": text.encode("utf-8"), f"{name}_crlf.py": text.replace("\n", "\r\n").encode("utf-8")}
    if text.isascii():
        latin = LATIN1_COOKIE + text + "\nLABEL = 'caf\u00e9'\n"
        out[f"{name}_latin1.py"] = latin.encode("latin-1")
        out[f"{name}_latin1_crlf.py"] = latin.replace("\n", "\r\n").encode("latin-1")
    out[f"{name}_bom.py"] = codecs.BOM_UTF8 + text.encode("utf-8")
    if "\t" not in text and '"""' not in text and "'''" not in text:
        tabbed = "\n".join(_tabs(line) for line in text.split("\n"))
        out[f"{name}_tabs.py"] = tabbed.encode("utf-8")
    return out


def _tabs(line: str) -> str:
    stripped = line.lstrip(" ")
    indent = len(line) - len(stripped)
    return "\t" * (indent // 4) + " " * (indent % 4) + stripped


def build_builtin(destination: Path) -> None:
    """examples/, tests/corpus/ as trees, and every seed's variants as files of one folder."""
    copy_tree(REPO / "examples", destination / "examples")
    copy_tree(REPO / "tests" / "corpus", destination / "tests_corpus")
    folder = destination / "variants"
    folder.mkdir(parents=True)
    for name, text in case_sources().items():
        for file_name, data in variants(name, text).items():
            (folder / file_name).write_bytes(data)


# ----- checking one file -------------------------------------------------------------------------
_ENGINE: Engine | None = None


def _engine() -> Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine(Settings())
    return _ENGINE


def _fixable(diagnostic: Diagnostic) -> bool:
    return diagnostic.fix is not None and diagnostic.fix.applicability in (Applicability.SAFE, Applicability.UNSAFE)


def _newline_style(text: str) -> tuple[bool, bool, bool]:
    crlf = text.count("\r\n")
    return crlf > 0, text.count("\n") > crlf, text.count("\r") > crlf


def prove_file(path_text: str) -> FileReport:
    path = Path(path_text)
    report = FileReport(path_text)
    engine = _engine()
    try:
        source = read_source(path)
    except SourceError:
        report.unreadable = True
        return report
    try:
        before = engine.lint_source(source.text, path_text)
        report.diagnostics = len(before)
        fixable = [d for d in before if _fixable(d)]
        report.fixable = len(fixable)
        if not fixable:
            return report
        result = engine.fix_source(source.text, path_text, unsafe=True)
    except Exception as error:  # noqa: BLE001 - that is what we are looking for
        report.failures.append(f"engine raised {type(error).__name__}: {error}")
        return report
    report.applied = result.applied
    left = [d for d in result.diagnostics if _fixable(d)]
    if left:
        report.failures.append("fixable diagnostics left after --fix: "
                               + "; ".join(f"{d.code} line {d.line}" for d in left))
    fixed_codes = Counter(d.code for d in fixable)
    before_codes, after_codes = Counter(d.code for d in before), Counter(d.code for d in result.diagnostics)
    for code, count in fixed_codes.items():
        if after_codes[code] > before_codes[code] - count:
            report.failures.append(f"{code}: {before_codes[code]} before, {count} fixed, {after_codes[code]} after")
    if result.source == source.text:
        return report
    report.changed = True
    if not write_atomically(source, result.source):
        report.failures.append("the writer refused to write the fix")
        return report
    written = path.read_bytes()
    try:
        compile(written, path_text, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        report.failures.append(f"fixed file does not compile: {error}")
        return report
    try:
        again = read_source(path)
    except SourceError as error:
        report.failures.append(f"fixed file cannot be read back: {error.reason}")
        return report
    if again.encoding != source.encoding:
        report.failures.append(f"encoding changed from {source.encoding} to {again.encoding}")
    if again.text != result.source:
        report.failures.append("file on disk differs from the fixed text")
    old_style, new_style = _newline_style(source.text), _newline_style(again.text)
    if any(new and not old for old, new in zip(old_style, new_style)):
        report.failures.append(f"newline style changed (crlf, lf, cr): {old_style} -> {new_style}")
    second = engine.fix_source(again.text, path_text, unsafe=True)
    if second.source != again.text or second.applied:
        report.failures.append(f"a second --fix changed the file again ({second.applied} fixes)")
    return report


# ----- the run ---------------------------------------------------------------------------------
def run(trees: list[Path], builtin: bool, jobs: int, scratch: Path) -> dict:
    roots = []
    if builtin:
        build_builtin(scratch / "builtin")
        roots.append(scratch / "builtin")
    for index, tree in enumerate(trees):
        destination = scratch / f"tree{index}_{tree.name}"
        copy_tree(tree, destination)
        roots.append(destination)
    files = sorted((str(p) for root in roots for p in root.rglob("*.py") if p.is_file() and not p.is_symlink()),
                   key=lambda p: -os.path.getsize(p))
    started = time.time()
    reports: list[FileReport] = []
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            reports = list(pool.map(prove_file, files, chunksize=8))
    else:
        reports = [prove_file(f) for f in files]
    seconds = time.time() - started
    per_root = {}
    for root in roots:
        mine = [r for r in reports if r.path.startswith(str(root) + os.sep)]
        per_root[root.name] = _figures(mine)
    figures = _figures(reports)
    figures["seconds"] = round(seconds, 1)
    figures["per_tree"] = per_root
    figures["failures"] = [{"path": os.path.relpath(r.path, scratch), "failures": r.failures}
                           for r in reports if r.failures]
    return figures


def _figures(reports: list[FileReport]) -> dict:
    return {
        "files_checked": len(reports),
        "unreadable": sum(r.unreadable for r in reports),
        "files_with_findings": sum(r.diagnostics > 0 for r in reports),
        "diagnostics": sum(r.diagnostics for r in reports),
        "fixable_diagnostics": sum(r.fixable for r in reports),
        "files_changed": sum(r.changed for r in reports),
        "fixes_applied": sum(r.applied for r in reports),
        "files_failed": sum(bool(r.failures) for r in reports),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", type=Path, default=[],
                        help="a folder to prove the fixes on (copied first; repeatable)")
    parser.add_argument("--no-builtin", action="store_true",
                        help="skip examples/, tests/corpus/ and the rule cases with their variants")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--keep", type=Path, help="use this scratch folder and keep it (must not exist)")
    args = parser.parse_args(argv)
    for tree in args.tree:
        if not tree.is_dir():
            parser.error(f"not a folder: {tree}")
    if args.keep is not None:
        args.keep.mkdir(parents=True)
        figures = run(args.tree, not args.no_builtin, args.jobs, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="retrylint-fix-proof-") as scratch:
            figures = run(args.tree, not args.no_builtin, args.jobs, Path(scratch))
    for name, tree_figures in figures["per_tree"].items():
        print(f"{name}: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in tree_figures.items()))
    print("total: " + ", ".join(f"{k.replace('_', ' ')} {figures[k]}" for k in _figures([]))
          + f" ({figures['seconds']} s)")
    for failure in figures["failures"]:
        for message in failure["failures"]:
            print(f"FAIL {failure['path']}: {message}")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
