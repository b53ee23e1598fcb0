"""Which files a check run looks at."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from retrylint.config import ConfigResolver
from retrylint.discovery import discover, display_path, is_excluded
from retrylint.settings import Settings


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    return path


def found(tmp_path: Path, paths: list[Path], settings: Settings = Settings()) -> list[str]:
    discovery = discover(paths, lambda path: settings)
    return [file.relative_to(tmp_path).as_posix() for file, _ in discovery.files]


def test_walks_sorted_python_files_skipping_default_excludes(tmp_path):
    for name in ["b.py", "a.py", "notes.txt", "stub.pyi", "pkg/c.py", ".venv/lib/x.py",
                 "pkg/__pycache__/c.py", "node_modules/n.py"]:
        touch(tmp_path / name)
    (tmp_path / "folder.py").mkdir()
    touch(tmp_path / "folder.py" / "inner.py")
    assert found(tmp_path, [tmp_path]) == ["a.py", "b.py", "folder.py/inner.py", "pkg/c.py"]


def test_explicit_files_are_checked_even_if_excluded_and_deduplicated(tmp_path):
    venv_file = touch(tmp_path / ".venv" / "x.py")
    a = touch(tmp_path / "a.py")
    assert found(tmp_path, [venv_file, a, tmp_path, tmp_path / "." / "a.py"]) == [".venv/x.py", "a.py"]


def test_missing_paths_are_reported_and_others_still_found(tmp_path):
    touch(tmp_path / "a.py")
    discovery = discover([tmp_path / "nope", tmp_path], lambda path: Settings())
    assert discovery.errors == [f"path does not exist: {tmp_path / 'nope'}"]
    assert len(discovery.files) == 1


def test_exclude_patterns_match_names_and_anchored_paths(tmp_path):
    settings = Settings(root=tmp_path, exclude=("*_pb2.py",), extend_exclude=("src/gen/", "**/fixtures"))
    for name in ["api_pb2.py", "src/gen/x.py", "src/app.py", "other/gen/y.py", "tests/fixtures/f.py", "fixtures/g.py"]:
        touch(tmp_path / name)
    assert found(tmp_path, [tmp_path], settings) == ["other/gen/y.py", "src/app.py"]
    assert is_excluded(tmp_path / "src" / "gen", settings)
    assert not is_excluded(tmp_path / "src", settings)


def test_excludes_come_from_each_folders_own_config(tmp_path):
    touch(tmp_path / "a" / "skipme" / "x.py")
    touch(tmp_path / "b" / "skipme" / "y.py")
    (tmp_path / "a" / "pyproject.toml").write_text("[tool.retrylint]\nextend-exclude = ['skipme']\n")
    discovery = discover([tmp_path], ConfigResolver().settings_for)
    assert [file.relative_to(tmp_path).as_posix() for file, _ in discovery.files] == ["b/skipme/y.py"]


def test_symlink_loops_are_not_followed(tmp_path):
    touch(tmp_path / "pkg" / "m.py")
    (tmp_path / "pkg" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "pkg" / "alias.py").symlink_to(tmp_path / "pkg" / "m.py")
    (tmp_path / "pkg" / "broken.py").symlink_to(tmp_path / "nowhere.py")
    assert found(tmp_path, [tmp_path]) == ["pkg/alias.py", "pkg/m.py"]


def test_display_path_is_relative_to_cwd_when_possible(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert display_path(Path("pkg") / "m.py") == "pkg/m.py"
    assert display_path(tmp_path / "pkg" / "m.py") == "pkg/m.py"
    assert display_path(tmp_path.parent / "x.py") == (tmp_path.parent / "x.py").as_posix()


def test_each_file_gets_its_settings(tmp_path):
    touch(tmp_path / "a.py")
    seven = dataclasses.replace(Settings(), max_attempts=7)
    discovery = discover([tmp_path], lambda path: seven)
    assert discovery.files == [(tmp_path / "a.py", seven)]


def test_each_file_gets_the_settings_of_its_nearest_configs_when_folders_are_walked(tmp_path):
    """A walked folder without a config file takes its parent's settings without asking the
    resolver: they must be the settings the resolver gives the file itself."""
    files = {
        "a/m.py": "", "a/deep/er/m.py": "",
        "b/ruff.toml": "line-length = 120\n", "b/m.py": "", "b/c/m.py": "",
        "b/c/d/.ruff.toml": "line-length = 100\n", "b/c/d/m.py": "", "b/c/d/e/m.py": "",
        "f/pyproject.toml": "[tool.retrylint]\nmax-attempts = 7\n", "f/g/m.py": "",
        "h/pyproject.toml": "[tool.black]\nline-length = 99\n", "h/m.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    walked = discover([tmp_path], ConfigResolver().settings_for).files
    shown = {path.relative_to(tmp_path).as_posix(): (s.max_attempts, s.line_length) for path, s in walked}
    assert shown == {"a/m.py": (3, 88), "a/deep/er/m.py": (3, 88), "b/m.py": (3, 120), "b/c/m.py": (3, 120),
                     "b/c/d/m.py": (3, 100), "b/c/d/e/m.py": (3, 100), "f/g/m.py": (7, 88), "h/m.py": (3, 99)}
    direct = ConfigResolver()
    assert all(settings == direct.settings_for(path) for path, settings in walked)
