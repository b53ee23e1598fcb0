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
        # Per folder: each file holding words, with its words in one string (``\0word\0word\0``,
        # a tenth of the memory of a set of them: a run over a tree keeps one per folder searched).
        self._folders: dict[tuple[Path, bool], dict[Path, bytes]] = {}

    def words(self, text: bytes) -> frozenset[bytes]:
        """The words of a file's text that the index keeps."""
        raise NotImplementedError

    def files_with(self, folder: Path, recursive: bool, word: str) -> list[Path]:
        """The files under ``folder`` (only those directly in it unless ``recursive``) holding
        ``word``, in path order."""
        key = (folder, recursive)
        if key not in self._folders:
            read = ((path, self._read(path)) for path in python_files(folder, recursive))
            self._folders[key] = {path: words for path, words in read if words}
        self.project.depends_on(folder_key(folder, recursive))
        wanted = b"\0" + word.encode("ascii", "replace") + b"\0"
        return [path for path, words in self._folders[key].items() if wanted in words]

    def forget(self, path: Path) -> None:
        """A file changed, appeared or went away: read its words again."""
        for (folder, recursive), files in self._folders.items():
            inside = path.parent == folder or (recursive and folder in path.parents)
            if inside and path.suffix == ".py":
                files.pop(path, None)
                words = self._read(path) if path.is_file() or path in self.project.overlay else b""
                if words:
                    files[path] = words
                self._folders[(folder, recursive)] = dict(sorted(files.items()))

    def _read(self, path: Path) -> bytes:
        """The file's words as ``\0word\0word\0`` (names hold no NUL), or b"" when it has none."""
        try:
            text = self.project.overlay[path].encode("utf-8", "replace") if path in self.project.overlay \
                else read_limited(path)
        except SourceError:
            return b""
        words = self.words(text)
        return b"\0" + b"\0".join(sorted(words)) + b"\0" if words else b""
