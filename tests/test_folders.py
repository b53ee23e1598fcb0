"""The state of a folder's Python files, a dependency the cache checks without reading them."""

import os

from retrylint.folders import folder_key, folder_state


def test_a_folder_state_changes_when_a_file_is_added_changed_or_removed(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.py").write_text("x = 1\n")
    deep, shallow = str(folder_key(tmp_path, True)), str(folder_key(tmp_path, False))
    assert deep.endswith(os.path.join("**", "*.py")) and shallow.endswith(os.sep + "*.py")
    first = folder_state(deep), folder_state(shallow)
    assert first[0] == first[1] != ""
    (tmp_path / "sub" / "b.py").write_text("class B(A): ...\n")
    second = folder_state(deep), folder_state(shallow)
    assert second[0] != first[0] and second[1] == first[1]  # only the recursive key sees sub/
    (tmp_path / "a.py").write_text("x = 22\n")
    assert folder_state(shallow) != first[1]
    (tmp_path / "a.py").unlink()
    assert folder_state(shallow) == ""


def test_a_plain_file_is_no_folder_key(tmp_path):
    assert folder_state(str(tmp_path / "a.py")) is None
    assert folder_state(str(tmp_path)) is None
