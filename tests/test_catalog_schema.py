"""The catalog schema: a catalog file (or a config's entrypoint table) with a misspelt choice, an
unknown key or a wrong type is refused with one line naming the file and the line, and the
command exits 2 with only that line. The JSON Schema for editors comes from the same declarations."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import pytest

from retrylint.analysis.layers.registry import READERS
from retrylint.catalog import MAX_CATALOG_BYTES, Dialect, Form, load_catalog
from retrylint.catalog_specs import catalog_json_schema
from helpers import REPO, run, write

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

CATALOG_REFUSALS = {
    "misspelt form": ("[[layer]]\nnames = ['x.retry']\nform = 'decorater'\n",
                      "3: 'form' in [[layer]] must be one of decorator, retrying, context, call-site, policy, raise, "
                      "task, billable-call, tool, got 'decorater' (did you mean 'decorator'?)"),
    "misspelt dialect": ("[[layer]]\nnames = ['x.retry']\ndialect = 'kwarg'\n",
                         "3: 'dialect' in [[layer]] must be one of tenacity, kwargs, got 'kwarg' (did you mean 'kwargs'?)"),
    "unknown key": ("[[layer]]\nnames = ['x.retry']\nlable = 'X'\n",
                    "3: unknown key 'lable' in [[layer]] (did you mean 'label'?)"),
    "unknown top-level key": ("[[layers]]\nnames = ['x.retry']\n",
                              "1: unknown key 'layers' in the catalog file (did you mean 'layer'?)"),
    "wrong type": ("[[layer]]\nnames = 'x.retry'\n", "2: 'names' in [[layer]] must be a list of strings, got 'x.retry'"),
    "nested wrong type, in the second table": (
        "[[layer]]\nnames = ['x.a']\n\n[[layer]]\nnames = ['x.retry']\nattempts = { param = 'tries', default = 'three' }\n",
        "6: 'attempts.default' in [[layer]] must be \"unbounded\" or an integer, got 'three'"),
    "nested sub-table wrong type": ("[[layer]]\nnames = ['x.retry']\n[layer.fix]\ncap = 3\n",
                                    "4: 'fix.cap' in [[layer]] must be a string, got 3"),
    "section wrong type": ("[tenacity]\nwait_none = 'a'\n", "2: 'wait_none' in [tenacity] must be a list of strings, got 'a'"),
    "section nested wrong type": ("[tenacity.fix]\ncap = { keyword = 1 }\n",
                                  "2: 'fix.cap.keyword' in [tenacity] must be a string, got 1"),
    "entrypoint table wrong type": ("[[entrypoint]]\nname = 'x.*'\nmarkers = [1]\n",
                                    "3: 'markers' in [[entrypoint]] must be a list of strings, got [1]"),
    "entrypoint not a table": ("entrypoint = [1]\n", "1: [[entrypoint]] must be a table, got 1"),
    "a key another key needs": ("[[errors]]\nlibrary = 'x'\n", "1: [[errors]] needs 'module'"),
    "an exception set without classes": ("[[exception_set]]\nname = 'x.ERRORS'\n",
                                         "1: [[exception_set]] needs 'name' and 'classes'"),
}


def refused(project: Path, config: str) -> str:
    """The one line the command prints when it refuses to start, after checking it exits 2."""
    write(project, "pyproject.toml", config)
    write(project, "ok.py", "x = 1\n")
    result = run(project, "check")
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert result.stderr.startswith("retrylint: error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr[len("retrylint: error: "):-1]


@pytest.mark.parametrize("kind", CATALOG_REFUSALS)
def test_a_catalog_mistake_is_refused_with_file_and_line(tmp_path, kind):
    text, message = CATALOG_REFUSALS[kind]
    extra = write(tmp_path, "extra.toml", text)
    assert refused(tmp_path, "[tool.retrylint]\nextend-catalog = ['extra.toml']\n") == f"{extra}:{message}"


def test_an_endless_catalog_file_is_refused_by_its_size(tmp_path):
    assert refused(tmp_path, "[tool.retrylint]\nextend-catalog = ['/dev/zero']\n") == (
        "/dev/zero: cannot read catalog file: larger than 1 MiB")


def test_a_catalog_file_over_the_size_limit_is_refused(tmp_path):
    write(tmp_path, "big.toml", "# padding\n" * (MAX_CATALOG_BYTES // 10 + 1))
    assert refused(tmp_path, "[tool.retrylint]\nextend-catalog = ['big.toml']\n") == (
        f"{tmp_path / 'big.toml'}: cannot read catalog file: larger than 1 MiB")


def test_a_folder_named_as_a_catalog_file_is_refused(tmp_path):
    (tmp_path / "rules").mkdir()
    assert refused(tmp_path, "[tool.retrylint]\nextend-catalog = ['rules']\n") == (
        f"{tmp_path / 'rules'}: cannot read catalog file: not a regular file")


@pytest.mark.parametrize(("text", "message"), [
    ("[[layer]]\nnames = ['x.retry']\nattempts = { default = " + "9" * 5000 + " }\n",
     "invalid TOML: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits"),
    ("[[layer]]\nnames = ['x.retry']\nattempts = " + "[" * 3000 + "]" * 3000 + "\n", "invalid TOML: nested too deeply"),
])
def test_toml_that_python_cannot_hold_is_refused(tmp_path, text, message):
    extra = write(tmp_path, "extra.toml", text)
    assert refused(tmp_path, "[tool.retrylint]\nextend-catalog = ['extra.toml']\n") == f"{extra}: {message}"


@pytest.mark.parametrize(("table", "message"), [
    ("name = 'x.*'\nmarkers = [1]\n", "'markers' in an entrypoint of 'entrypoint' in {file} must be a list of strings, got [1]"),
    ("names = 'x.*'\n", "'names' in an entrypoint of 'entrypoint' in {file} must be a list of strings, got 'x.*'"),
    ("name = 'x.*'\nattempts = 'often'\n", "'attempts' in an entrypoint of 'entrypoint' in {file} must be an integer "
                                          "or one of unbounded, unknown, got 'often'"),
])
def test_a_config_entrypoint_with_a_wrong_type_is_refused(tmp_path, table, message):
    config = tmp_path / "pyproject.toml"
    assert refused(tmp_path, f"[tool.retrylint]\n[[tool.retrylint.entrypoint]]\n{table}") == message.format(file=config)


def test_non_retryable_names_must_be_dotted_names(tmp_path):
    assert refused(tmp_path, "[tool.retrylint]\nnon-retryable = ['myapp.errors.Quota', 'not a name']\n") == (
        f"'non-retryable' in {tmp_path / 'pyproject.toml'} must be a list of dotted names like "
        "'myapp.errors.QuotaExceeded', got 'not a name'")


def test_every_form_has_a_reader_and_every_reader_a_form():
    assert set(READERS) == {form.value for form in Form}


def test_shipped_catalog_uses_the_enums():
    catalog = load_catalog()
    assert {type(spec.form) for spec in catalog.layers} == {Form}
    assert {type(spec.dialect) for spec in catalog.layers} == {Dialect}
    assert {spec.dialect for spec in catalog.layers} == set(Dialect)


# ----- JSON Schema -------------------------------------------------------------------------------
def test_the_committed_json_schema_is_the_generated_one():
    committed = (REPO / "rules" / "catalog.schema.json").read_text(encoding="utf-8")
    result = run(REPO, "catalog-schema")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == committed, "run: retrylint catalog-schema > rules/catalog.schema.json"
    assert json.loads(committed) == catalog_json_schema()


@pytest.mark.parametrize("path", sorted((REPO / "rules").glob("*.toml")), ids=lambda path: path.name)
def test_every_shipped_catalog_file_validates_against_the_schema(path):
    validator = jsonschema.Draft7Validator(catalog_json_schema())
    assert [error.message for error in validator.iter_errors(tomllib.loads(path.read_text(encoding="utf-8")))] == []


@pytest.mark.parametrize("kind", ["misspelt form", "misspelt dialect", "unknown key", "unknown top-level key", "wrong type",
                                  "nested wrong type, in the second table", "section wrong type", "entrypoint not a table"])
def test_the_schema_refuses_what_the_reader_refuses(kind):
    validator = jsonschema.Draft7Validator(catalog_json_schema())
    assert not validator.is_valid(tomllib.loads(CATALOG_REFUSALS[kind][0]))
