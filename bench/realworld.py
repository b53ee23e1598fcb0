#!/usr/bin/env python3
"""Precision and recall of retrylint on real retry sites, labelled by hand (issue 11).

Usage (from the repository root):

    python bench/realworld.py              # fetch what is missing, check, print the scores
    python bench/realworld.py fetch        # only download and unpack the pinned releases
    python bench/realworld.py --markdown   # the per-rule table as Markdown (for README)
    python bench/realworld.py --whole      # check whole packages, not only the labelled files
    python bench/realworld.py --only metagpt,khoj   # only the labels of these releases
    python bench/realworld.py --why        # say what retrylint sees at each false negative
    python bench/realworld.py --blind      # only labels written before retrylint ran on the file

bench/realworld.tsv holds one row per labelled site: the release (``name==version``), the file
inside it, a line range, a rule, the verdict a careful reviewer reaches from the source (``fire``
or ``silent``) and the reason. The releases are downloaded with ``pip download --no-deps`` into
a cache folder (``$RETRYLINT_REALWORLD_CACHE``, default ``~/.cache/retrylint-realworld``) and
unpacked there; scoring needs no network once they are there.

The checkout's retrylint runs on each release (``python -m retrylint check --no-cache --isolated
--output-format json``) on the labelled files. A finding of a label's rule whose line lies in the
label's range is a true positive for a ``fire`` label and a false positive for a ``silent`` one;
a ``fire`` label with no such finding is a false negative. RTL002 and RTL004 are scored as one
group (a layer retrying errors that never heal, whether by a broad base or by name). Findings
outside every labelled range are listed as unlabelled, for review, and not counted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LABELS = Path(__file__).resolve().parent / "realworld.tsv"
COLUMNS = ("package", "path", "lines", "rule", "verdict", "reason")
GROUPS = {"RTL001": "RTL001", "RTL002": "RTL002+RTL004", "RTL004": "RTL002+RTL004", "RTL003": "RTL003",
          "RTL005": "RTL005", "RTL006": "RTL006"}
GROUP_ORDER = ("RTL001", "RTL002+RTL004", "RTL003", "RTL005", "RTL006")
VERDICTS = ("fire", "silent")
# A comment line holding one of these marks the rows after it: labelled before retrylint ran on
# the file (blind), or after it had flagged the site (after); --blind scores only the former.
BLIND, AFTER = "[blind]", "[after]"


@dataclass(frozen=True)
class Label:
    package: str  # name==version
    path: str  # inside the unpacked release
    start: int
    end: int
    rule: str
    verdict: str
    reason: str
    blind: bool = True  # written before retrylint ran on the file (False: after it flagged the site)

    @property
    def group(self) -> str:
        return GROUPS[self.rule]

    @property
    def where(self) -> str:
        return f"{self.package} {self.path}:{self.start}-{self.end}"


@dataclass(frozen=True)
class Finding:
    package: str
    path: str
    line: int
    code: str
    message: str

    @property
    def group(self) -> str | None:
        return GROUPS.get(self.code)


@dataclass(frozen=True)
class Layer:
    """One retry layer as ``retrylint report`` sees it: where, what, and the billable calls it reaches."""

    package: str
    path: str
    line: int
    name: str
    billable: tuple[str, ...]


@dataclass
class Score:
    tp: list[Label] = field(default_factory=list)
    fn: list[Label] = field(default_factory=list)
    fp: list[Label] = field(default_factory=list)
    tn: list[Label] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        found = len(self.tp) + len(self.fp)
        return len(self.tp) / found if found else None

    @property
    def recall(self) -> float | None:
        fire = len(self.tp) + len(self.fn)
        return len(self.tp) / fire if fire else None


@dataclass
class Result:
    scores: dict[str, Score]
    unlabelled: list[Finding]
    errors: list[str]
    layers: list[Layer] | None = None  # with --why: what retrylint sees, to explain false negatives


class LabelError(ValueError):
    pass


def read_labels(path: Path = LABELS) -> list[Label]:
    """Parse the TSV (``#`` lines are comments); raise LabelError on a malformed row."""
    labels, rows, blind = [], [], True
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
            if row and row[0].startswith("#"):
                marks = [mark for mark in (BLIND, AFTER) if mark in "\t".join(row)]
                blind = marks[-1] == BLIND if marks else blind
            elif row:
                rows.append((number, row, blind))
    if not rows or tuple(rows[0][1]) != COLUMNS:
        raise LabelError(f"{path}: the first row must be the header {' / '.join(COLUMNS)}")
    for number, row, blind in rows[1:]:
        if len(row) != len(COLUMNS):
            raise LabelError(f"{path}: row {number} has {len(row)} columns, not {len(COLUMNS)}")
        package, file, lines, rule, verdict, reason = row
        start, _, end = lines.partition("-")
        if "==" not in package or not start.isdigit() or not end.isdigit() or int(start) > int(end):
            raise LabelError(f"{path}: row {number}: bad package {package!r} or line range {lines!r}")
        if rule not in GROUPS or verdict not in VERDICTS or not reason.strip():
            raise LabelError(f"{path}: row {number}: bad rule {rule!r}, verdict {verdict!r} or empty reason")
        labels.append(Label(package, file, int(start), int(end), rule, verdict, reason.strip(), blind))
    _check_consistent(labels)
    return labels


def _check_consistent(labels: list[Label]) -> None:
    """Two labels of one rule group whose ranges overlap must agree, or a finding scores twice."""
    by_place = defaultdict(list)
    for label in labels:
        by_place[(label.package, label.path, label.group)].append(label)
    for group in by_place.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                overlap = a.start <= b.end and b.start <= a.end
                duplicate = (a.start, a.end, a.rule) == (b.start, b.end, b.rule)
                if overlap and (a.verdict != b.verdict or duplicate):
                    raise LabelError(f"labels overlap: {a.where} {a.rule} {a.verdict} and {b.where} {b.rule} {b.verdict}")


def score(labels: list[Label], findings: list[Finding], errors: list[str] | None = None,
          unscored: list[Label] = ()) -> Result:
    """Match findings to labels by release, file, rule group and line range. A finding that only
    an ``unscored`` label covers (an [after] label under --blind) is neither counted nor listed
    as unlabelled."""
    scores = {group: Score() for group in GROUP_ORDER}
    used: set[int] = set()
    for label in unscored:
        used.update(_hits(label, findings))
    for label in labels:
        hits = _hits(label, findings)
        used.update(hits)
        bucket = scores[label.group]
        if label.verdict == "fire":
            (bucket.tp if hits else bucket.fn).append(label)
        else:
            (bucket.fp if hits else bucket.tn).append(label)
    unlabelled = [f for i, f in enumerate(findings) if i not in used and f.group is not None]
    return Result(scores, unlabelled, list(errors or []))


def _hits(label: Label, findings: list[Finding]) -> list[int]:
    return [i for i, f in enumerate(findings) if f.package == label.package and f.path == label.path
            and f.group == label.group and label.start <= f.line <= label.end]


def cache_dir() -> Path:
    return Path(os.environ.get("RETRYLINT_REALWORLD_CACHE") or Path.home() / ".cache" / "retrylint-realworld")


def release_dir(cache: Path, package: str) -> Path:
    name, _, version = package.partition("==")
    return cache / "src" / f"{name.lower().replace('-', '_')}-{version}"


def fetch(packages: list[str], cache: Path) -> list[str]:
    """Download and unpack each release not yet in the cache; return one line per failure."""
    errors = []
    for package in packages:
        target = release_dir(cache, package)
        if target.is_dir():
            continue
        try:
            archive = _download(package, cache / "dl")
            _unpack(archive, target)
        except (OSError, subprocess.CalledProcessError, zipfile.BadZipFile, tarfile.TarError, LookupError) as error:
            errors.append(f"{package}: cannot fetch ({error})")
    return errors


def _download(package: str, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    name, _, version = package.partition("==")
    stem = name.lower().replace("-", "_")
    for wanted in (("--only-binary", ":all:"), ("--no-binary", ":all:")):
        found = _archive(into, stem, version)
        if found is not None:
            return found
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", *wanted, "-d", str(into), package],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    found = _archive(into, stem, version)
    if found is None:
        raise LookupError("pip download found neither a wheel nor an sdist")
    return found


def _archive(folder: Path, stem: str, version: str) -> Path | None:
    for path in sorted(folder.iterdir()):
        name = path.name.lower().replace("-", "_")
        if name.startswith(f"{stem}_{version}") and (name.endswith(".whl") or name.endswith(".tar.gz")):
            return path
    return None


def _unpack(archive: Path, target: Path) -> None:
    scratch = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent if target.parent.is_dir() else None))
    try:
        if archive.name.endswith(".whl"):
            with zipfile.ZipFile(archive) as wheel:
                wheel.extractall(scratch)
            root = scratch
        else:
            with tarfile.open(archive) as sdist:
                sdist.extractall(scratch, filter="data")
            tops = list(scratch.iterdir())
            root = tops[0] if len(tops) == 1 and tops[0].is_dir() else scratch
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(root), str(target))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_retrylint(package: str, root: Path, files: list[str] | None) -> tuple[list[Finding], list[str]]:
    """Findings of the checkout's retrylint on ``files`` of one unpacked release (all of it when None)."""
    targets = files if files is not None else ["."]
    missing = [f for f in targets if not (root / f).exists()]
    if missing:
        return [], [f"{package}: no such file {name}" for name in missing]
    items, error = _retrylint_json(root, ["check", "--no-cache", "--isolated", "--exit-zero", "--output-format", "json",
                                          *targets])
    if error:
        return [], [f"{package}: {error}"]
    return [Finding(package, _relative(root, item["path"]), item["line"], item["code"], item["message"])
            for item in items], []


def run_report(package: str, root: Path, files: list[str] | None) -> tuple[list[Layer], list[str]]:
    """The retry layers ``retrylint report`` finds in ``files`` of one unpacked release."""
    items, error = _retrylint_json(root, ["report", "--isolated", "--format", "json", *(files or ["."])])
    if error:
        return [], [f"{package}: report: {error}"]
    return [Layer(package, _relative(root, item["path"]), item["line"], item["layer"],
                  tuple(dict.fromkeys(call["name"] for call in item["billable"]))) for item in items], []


def _retrylint_json(root: Path, arguments: list[str]) -> tuple[list[dict], str | None]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-m", "retrylint", *arguments], cwd=root, env=env,
                          capture_output=True, text=True, check=False)
    try:
        return json.loads(done.stdout), None
    except json.JSONDecodeError:
        return [], f"retrylint exited {done.returncode}: {done.stderr.strip()[-300:]}"


def _relative(root: Path, shown: str) -> str:
    path = Path(shown)
    return (path.resolve().relative_to(root.resolve()) if path.is_absolute() else path).as_posix()


def evaluate(labels: list[Label], cache: Path, whole: bool = False, why: bool = False,
             unscored: list[Label] = ()) -> Result:
    packages = sorted({label.package for label in labels})
    errors = fetch(packages, cache)
    findings: list[Finding] = []
    layers: list[Layer] = []
    for package in packages:
        root = release_dir(cache, package)
        if not root.is_dir():
            continue
        files = None if whole else sorted({label.path for label in labels if label.package == package})
        found, failed = run_retrylint(package, root, files)
        findings += found
        errors += failed
        if why:
            seen, failed = run_report(package, root, files)
            layers += seen
            errors += failed
    result = score(labels, findings, errors, unscored)
    result.layers = layers if why else None
    return result


def explain(label: Label, layers: list[Layer]) -> str:
    """What retrylint sees in a label's range: no entry point, a layer reaching no billable call, or
    what it reaches. ``retrylint report`` lists entry points only: a layer that another one reaches
    (camel's retry_on_error on evaluate_trace, called by another decorated method) shows only in
    that one's stack, so no entry point here does not mean no layer."""
    here = [layer for layer in layers if layer.package == label.package and layer.path == label.path
            and label.start <= layer.line <= label.end]
    if not here:
        return "retrylint report shows no retry entry point here (a layer under another one shows only in its stack)"
    return "; ".join(f"{layer.name} reaches " + (", ".join(layer.billable) if layer.billable else "no billable call")
                     for layer in here)


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def format_table(result: Result, markdown: bool = False) -> str:
    header = ("rule", "fire labels", "silent labels", "TP", "FN", "FP", "precision", "recall")
    rows = []
    for group in GROUP_ORDER:
        s = result.scores[group]
        rows.append((group, len(s.tp) + len(s.fn), len(s.fp) + len(s.tn), len(s.tp), len(s.fn), len(s.fp),
                     _ratio(s.precision), _ratio(s.recall)))
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
        lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    else:
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        lines = ["  ".join(str(cell).rjust(width) for cell, width in zip(row, widths)) for row in [header, *rows]]
    return "\n".join(lines) + "\n"


def format_details(result: Result) -> str:
    out = []
    for title, pick in (("False positives (silent labels with a finding)", "fp"),
                        ("False negatives (fire labels without a finding)", "fn")):
        wrong = [label for group in GROUP_ORDER for label in getattr(result.scores[group], pick)]
        out.append(f"\n{title}: {len(wrong)}")
        for label in wrong:
            out.append(f"  {label.rule} {label.where}\n      {label.reason}")
            if pick == "fn" and result.layers is not None:
                out.append(f"      -> {explain(label, result.layers)}")
    out.append(f"\nUnlabelled findings in the checked files (not counted, for review): {len(result.unlabelled)}")
    out += [f"  {f.code} {f.package} {f.path}:{f.line}  {f.message[:160]}" for f in result.unlabelled]
    if result.errors:
        out.append(f"\nErrors: {len(result.errors)}")
        out += [f"  {error}" for error in result.errors]
    return "\n".join(out) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", nargs="?", choices=("fetch", "score"), default="score",
                        help="fetch: only download and unpack the releases; score (default): fetch, check, score")
    parser.add_argument("--labels", type=Path, default=LABELS, help="the TSV of labelled sites")
    parser.add_argument("--cache", type=Path, default=None, help="download and unpack folder")
    parser.add_argument("--markdown", action="store_true", help="print only the per-rule table, in Markdown")
    parser.add_argument("--whole", action="store_true", help="check whole releases, not only the labelled files")
    parser.add_argument("--why", action="store_true",
                        help="also run retrylint report and say, for each false negative, what it sees there")
    parser.add_argument("--blind", action="store_true",
                        help="score only labels written before retrylint ran (not those marked [after] in the TSV)")
    parser.add_argument("--only", default="", help="comma-separated release names: score only their labels")
    return parser


def select(labels: list[Label], only: str) -> list[Label]:
    """The labels of the releases named in ``only`` (all when it is empty); names compare as pip does."""
    wanted = {_normal(name) for name in only.split(",") if name.strip()}
    return [label for label in labels if not wanted or _normal(label.package.partition("==")[0]) in wanted]


def _normal(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        chosen = select(read_labels(args.labels), args.only)
    except (OSError, LabelError) as error:
        print(f"realworld: {error}", file=sys.stderr)
        return 2
    labels = [label for label in chosen if label.blind or not args.blind]
    if not labels:
        print(f"realworld: no labels for --only {args.only}", file=sys.stderr)
        return 2
    cache = args.cache or cache_dir()
    if args.step == "fetch":
        errors = fetch(sorted({label.package for label in labels}), cache)
        for error in errors:
            print(f"realworld: {error}", file=sys.stderr)
        print(f"{len({label.package for label in labels})} releases in {cache / 'src'}")
        return 1 if errors else 0
    result = evaluate(labels, cache, whole=args.whole, why=args.why,
                      unscored=[label for label in chosen if label not in labels])
    if args.markdown:
        print(format_table(result, markdown=True), end="")
    else:
        sites = len({(label.package, label.path, label.start) for label in labels})
        print(f"{len(labels)} labels on {sites} sites in {len({label.package for label in labels})} releases\n")
        print(format_table(result), end="")
        print(format_details(result), end="")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
