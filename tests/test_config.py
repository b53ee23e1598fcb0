"""Settings from [tool.retrylint], --config and --isolated, and the one-line config errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrylint.config import ConfigError, ConfigResolver, Overrides, load_settings
from retrylint.settings import DEFAULT_EXCLUDE, Settings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_all_keys_map_to_settings(tmp_path):
    config = write(tmp_path / "pyproject.toml", """
[tool.retrylint]
select = ["RTL00"]
extend-select = ["RTL999"]
ignore = ["RTL005"]
per-file-ignores = { "tests/*" = ["RTL001", "RTL002"] }
exclude = ["generated"]
extend-exclude = ["legacy/"]
max-attempts = 5
max-total-attempts = 10
idempotency-guards = ["myapp.once"]
billable = ["myapp.charge"]
non-retryable = ["myapp.Fatal"]
extend-catalog = ["catalog/extra.toml"]
""")
    assert load_settings(tmp_path) == Settings(
        select=("RTL00",), extend_select=("RTL999",), ignore=("RTL005",),
        per_file_ignores=(("tests/*", ("RTL001", "RTL002")),),
        exclude=("generated",), extend_exclude=("legacy/",),
        max_attempts=5, max_total_attempts=10,
        idempotency_guards=("myapp.once",), billable=("myapp.charge",), non_retryable=("myapp.Fatal",),
        extend_catalog=(tmp_path / "catalog" / "extra.toml",),
        root=tmp_path, config_file=config,
    )


def test_nearest_pyproject_with_the_table_wins(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.retrylint]\nmax-attempts = 7\n")
    write(tmp_path / "pkg" / "pyproject.toml", "[project]\nname = 'pkg'\n")  # no table: skipped
    write(tmp_path / "pkg" / "sub" / "mod.py", "")
    settings = load_settings(tmp_path / "pkg" / "sub" / "mod.py")
    assert (settings.max_attempts, settings.config_file) == (7, tmp_path / "pyproject.toml")


def test_no_config_gives_defaults(tmp_path):
    assert load_settings(tmp_path) == Settings()
    assert Settings().exclude == DEFAULT_EXCLUDE


def test_isolated_ignores_config(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.retrylint]\nmax-attempts = 7\n")
    assert load_settings(tmp_path, isolated=True) == Settings()


def test_config_option_takes_pyproject_or_bare_table(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.retrylint]\nmax-attempts = 7\n")
    bare = write(tmp_path / "conf" / "retrylint.toml", "max-attempts = 4\nextend-catalog = ['x.toml']\n")
    settings = load_settings(tmp_path, config=bare)
    assert (settings.max_attempts, settings.root) == (4, tmp_path / "conf")
    assert settings.extend_catalog == (tmp_path / "conf" / "x.toml",)
    other = write(tmp_path / "other" / "pyproject.toml", "[tool.retrylint]\nmax-attempts = 2\n")
    assert load_settings(tmp_path, config=other).max_attempts == 2


@pytest.mark.parametrize(("text", "message"), [
    ("[tool.retrylint]\nselekt = ['RTL']\n",
     "unknown key 'selekt' in [tool.retrylint] of {file} (did you mean 'select'?)"),
    ("[tool.retrylint]\nmax-attempts = 'three'\n",
     "'max-attempts' in {file} must be an integer >= 1, got 'three'"),
    ("[tool.retrylint]\nmax-attempts = 0\n", "'max-attempts' in {file} must be an integer >= 1, got 0"),
    ("[tool.retrylint]\nmax-total-attempts = true\n",
     "'max-total-attempts' in {file} must be an integer >= 1, got True"),
    ("[tool.retrylint]\nbillable = 'x.y'\n", "'billable' in {file} must be a list of strings, got 'x.y'"),
    ("[tool.retrylint]\nselect = ['E501']\n", "'select' in {file} has unknown rule code 'E501'"),
    ("[tool.retrylint]\nper-file-ignores = { 'a.py' = ['RTL1'] }\n",
     "'per-file-ignores' in {file} for 'a.py' has unknown rule code 'RTL1' (did you mean 'RTL001'?)"),
    ("[tool.retrylint\n",
     "invalid TOML in {file}: Expected ']' at the end of a table declaration (at line 1, column 16)"),
])
def test_errors_are_one_line_naming_file_and_key(tmp_path, text, message):
    config = write(tmp_path / "pyproject.toml", text)
    with pytest.raises(ConfigError) as error:
        load_settings(tmp_path)
    assert str(error.value) == message.format(file=config)


def test_explicit_pyproject_without_table_is_an_error(tmp_path):
    config = write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match="no \\[tool.retrylint\\] table in "):
        load_settings(tmp_path, config=config)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found: .*nope.toml"):
        load_settings(tmp_path, config=tmp_path / "nope.toml")


def test_resolver_reads_each_folder_once(tmp_path, monkeypatch):
    write(tmp_path / "pyproject.toml", "[tool.retrylint]\n")
    write(tmp_path / "a" / "one.py", "")
    write(tmp_path / "a" / "two.py", "")
    resolver = ConfigResolver()
    first = resolver.settings_for(tmp_path / "a" / "one.py")
    monkeypatch.setattr("retrylint.config._read_toml", lambda path: pytest.fail("read again"))
    assert resolver.settings_for(tmp_path / "a" / "two.py") is first


def test_select_override_replaces_config_selection(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.retrylint]\nignore = ['RTL005']\nextend-select = ['RTL9']\n")
    replaced = ConfigResolver(overrides=Overrides(select=("RTL001",))).settings_for(tmp_path)
    assert (replaced.select, replaced.extend_select, replaced.ignore) == (("RTL001",), (), ())
    added = ConfigResolver(overrides=Overrides(ignore=("RTL006",))).settings_for(tmp_path)
    assert (added.select, added.ignore) == (("RTL",), ("RTL005", "RTL006"))


# ----- one declaration for config keys, flake8 options and README ----------------------------------
def test_readme_configuration_table_is_the_declared_one():
    from helpers import REPO
    from retrylint.config import readme_table

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("| key | type | default | flake8 option | meaning |")
    assert readme[start:readme.index("\n\n", start) + 1] == readme_table(), "README's table: print readme_table()"


def test_every_settings_field_a_config_file_sets_is_declared_once():
    import dataclasses

    from retrylint.config import CONFIG_KEYS
    from retrylint.settings import Settings

    fields = [key.field for key in CONFIG_KEYS]
    assert len(fields) == len(set(fields))
    # line_length is read from [tool.ruff] or [tool.black], not [tool.retrylint]
    assert set(fields) == {field.name for field in dataclasses.fields(Settings)} - {"root", "config_file", "line_length"}


def test_flake8_options_are_the_declared_ones():
    from retrylint.config import CONFIG_KEYS
    from retrylint.frontends.flake8_plugin import RetrylintChecker

    class Manager:
        def __init__(self):
            self.options = {}

        def add_option(self, name, **kwargs):
            self.options[name] = kwargs.get("comma_separated_list", False)

    manager = Manager()
    RetrylintChecker.add_options(manager)
    assert manager.options == {
        **{key.flake8_option: key.flake8 == "list" for key in CONFIG_KEYS if key.flake8},
        "--retrylint-config": False,
    }
    assert list(manager.options) == ["--retrylint-max-attempts", "--retrylint-max-total-attempts",
                                     "--retrylint-idempotency-guards", "--retrylint-billable",
                                     "--retrylint-non-retryable", "--retrylint-config"]


# ----- the formatter's line length (fixes keep to it): ruff's files, [tool.ruff], [tool.black] --------
@pytest.mark.parametrize("files, checked, expected", [
    ({".ruff.toml": "line-length = 100\n", "ruff.toml": "line-length = 110\n",
      "pyproject.toml": "[tool.ruff]\nline-length = 120\n"}, "m.py", 100),
    ({"ruff.toml": "line-length = 110\n", "pyproject.toml": "[tool.ruff]\nline-length = 120\n"}, "m.py", 110),
    ({"ruff.toml": "line-length = 110\n", "pyproject.toml": "[tool.retrylint]\n\n[tool.black]\nline-length = 120\n"},
     "m.py", 110),
    # the first file that sets it: ruff used for linting only, black formatting
    ({".ruff.toml": "[lint]\nselect = ['E']\n", "ruff.toml": "line-length = 110\n"}, "m.py", 110),
    ({"ruff.toml": "[lint]\nselect = ['E']\n", "pyproject.toml": "[tool.black]\nline-length = 100\n"}, "m.py", 100),
    ({"ruff.toml": "[lint]\nselect = ['E']\n"}, "m.py", 88),
    # the nearest folder with a formatter config decides, as ruff finds its config
    ({"ruff.toml": "line-length = 100\n", "pkg/pyproject.toml": "[tool.retrylint]\n"}, "pkg/m.py", 100),
    ({"ruff.toml": "line-length = 100\n", "pkg/pyproject.toml": "[tool.black]\n"}, "pkg/m.py", 88),
    ({"pyproject.toml": "[tool.ruff]\nline-length = 100\n", "pkg/ruff.toml": "line-length = 120\n"}, "pkg/m.py", 120),
    ({"pyproject.toml": "[tool.ruff]\nline-length = 100\n", "pkg/ruff.toml": "line-length = 120\n"}, "m.py", 100),
])
def test_the_line_length_is_the_nearest_formatter_configs(tmp_path, files, checked, expected):
    for name, text in files.items():
        write(tmp_path / name, text)
    warnings = []
    assert ConfigResolver(warn=warnings.append).settings_for(tmp_path / checked).line_length == expected
    assert warnings == []


def test_the_line_length_of_an_explicit_config_is_the_formatters_beside_it(tmp_path):
    config = write(tmp_path / "ci" / "retrylint.toml", "max-attempts = 2\n")
    write(tmp_path / "ci" / "ruff.toml", "line-length = 99\n")
    write(tmp_path / "ruff.toml", "line-length = 111\n")
    assert ConfigResolver(config=config).settings_for(tmp_path / "m.py").line_length == 99
    assert ConfigResolver(isolated=True).settings_for(tmp_path / "m.py").line_length == 88


@pytest.mark.parametrize("name, text, shown", [
    ("ruff.toml", "line-length = -5\n", "line-length in {folder}/ruff.toml is -5"),
    (".ruff.toml", "line-length = 0\n", "line-length in {folder}/.ruff.toml is 0"),
    ("ruff.toml", 'line-length = "100"\n', "line-length in {folder}/ruff.toml is '100'"),
    ("pyproject.toml", "[tool.ruff]\nline-length = 100000\n", "[tool.ruff] line-length in {folder}/pyproject.toml is 100000"),
    ("pyproject.toml", "[tool.black]\nline-length = 1.5\n", "[tool.black] line-length in {folder}/pyproject.toml is 1.5"),
    ("pyproject.toml", "[tool.retrylint]\n[tool.ruff]\nline-length = true\n",
     "[tool.ruff] line-length in {folder}/pyproject.toml is True"),
])
def test_a_line_length_that_cannot_be_used_is_a_warning_and_the_default(tmp_path, name, text, shown):
    write(tmp_path / name, text)
    write(tmp_path / "pyproject.toml", "[tool.black]\nline-length = 120\n") if name != "pyproject.toml" else None
    warnings = []
    resolver = ConfigResolver(warn=warnings.append)
    assert [resolver.settings_for(tmp_path / file).line_length for file in ("a.py", "b.py")] == [88, 88]
    assert warnings == [shown.format(folder=tmp_path) + ", not a line length from 1 to 320: fixes keep to 88"]


def test_a_ruff_file_that_cannot_be_read_is_a_warning_and_the_next_config(tmp_path):
    write(tmp_path / "ruff.toml", "line-length = = 3\n")
    write(tmp_path / "pyproject.toml", "[tool.retrylint]\n\n[tool.black]\nline-length = 120\n")
    warnings = []
    assert ConfigResolver(warn=warnings.append).settings_for(tmp_path / "m.py").line_length == 120
    assert warnings == [f"invalid TOML in {tmp_path}/ruff.toml: Invalid value (at line 1, column 15); "
                        "its line-length is not used"]
