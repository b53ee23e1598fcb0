"""A text index of the Python files in folders: the words each file holds that a subclass picks
out (the bases its class statements name, the names it calls), so that only the files naming a
word are parsed. A folder is read once; a file that changes, appears or goes away (the editor's
buffers included) is read again. Searching a folder makes the checked file's findings depend on
its files (folders.folder_key), never on what a run checked before."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from retrylint.folders import folder_key, python_files
from retrylint.sources import SourceError, read_limited

if TYPE_CHECKING:
    from retrylint.analysis.project import Project


class WordIndex:
    """For each folder searched (with its subfolders or not): the words of each of its files."""

    def __init__(self, project: "Project"):
        self.project = project
        self._folders: dict[tuple[Path, bool], dict[Path, frozenset[bytes]]] = {}

    def words(self, text: bytes) -> frozenset[bytes]:
        """The words of a file's text that the index keeps."""
        raise NotImplementedError

    def files_with(self, folder: Path, recursive: bool, word: str) -> list[Path]:
        """The files under ``folder`` (only those directly in it unless ``recursive``) holding
        ``word``, in path order."""
        key = (folder, recursive)
        if key not in self._folders:
            self._folders[key] = {path: self._read(path) for path in python_files(folder, recursive)}
        self.project.depends_on(folder_key(folder, recursive))
        wanted = word.encode("ascii", "replace")
        return [path for path, words in self._folders[key].items() if wanted in words]

    def forget(self, path: Path) -> None:
        """A file changed, appeared or went away: read its words again."""
        for (folder, recursive), files in self._folders.items():
            inside = path.parent == folder or (recursive and folder in path.parents)
            if inside and path.suffix == ".py":
                files.pop(path, None)
                if path.is_file() or path in self.project.overlay:
                    files[path] = self._read(path)
                self._folders[(folder, recursive)] = dict(sorted(files.items()))

    def _read(self, path: Path) -> frozenset[bytes]:
        try:
            text = self.project.overlay[path].encode("utf-8", "replace") if path in self.project.overlay \
                else read_limited(path)
        except SourceError:
            return frozenset()
        return self.words(text)
