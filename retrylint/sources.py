"""Reading Python files the way Python does: BOM, PEP 263 coding cookie, newlines untouched."""

from __future__ import annotations

import ast
import codecs
import io
import re
import tokenize
import warnings
from dataclasses import dataclass
from pathlib import Path

from retrylint.stack import default_recursion_limit


class SourceError(Exception):
    """A file that cannot be checked; ``reason`` is one line, ``line`` where the problem is."""

    def __init__(self, reason: str, line: int = 1):
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass(frozen=True)
class Source:
    """A file's text and what is needed to write it back byte-compatibly."""

    path: Path
    text: str
    raw: bytes
    encoding: str  # as Python names it; "utf-8-sig" when the file starts with a BOM


MAX_FILE_BYTES = 16 * 1024 * 1024  # a larger file is reported, not read (README: Trust)


def read_source(path: Path) -> Source:
    """Read and decode ``path``; raise SourceError with a one-line reason if it cannot be."""
    raw = read_limited(path)
    text, encoding = decode_source(raw)
    return Source(Path(path), text, raw, encoding)


def read_limited(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path``, at most ``limit`` of them; SourceError when there are more or it
    cannot be read."""
    try:
        with open(path, "rb") as file:
            raw = file.read(limit + 1)
    except FileNotFoundError:
        raise SourceError("file vanished before it could be read") from None
    except PermissionError:
        raise SourceError("permission denied") from None
    except OSError as error:
        raise SourceError(error.strerror or str(error)) from None
    if len(raw) > limit:
        raise SourceError(f"file is larger than {limit // (1024 * 1024)} MiB")
    return raw


def decode_source(raw: bytes) -> tuple[str, str]:
    """The text of ``raw`` and its encoding; CRLF and CR are kept as they are."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as error:
        if raw.startswith(codecs.BOM_UTF8):
            raise SourceError("file starts with a UTF-8 BOM but its coding cookie names another encoding") from None
        if error.msg.startswith("unknown encoding"):
            raise SourceError(f"{error.msg} (in the coding cookie)", _cookie_line(raw)) from None
        encoding = "utf-8"  # an undecodable first line: let the decoder say where
    if not codecs.lookup(encoding)._is_text_encoding:  # rot13, base64, zlib...: Python refuses them too
        raise SourceError(f"the coding cookie names {encoding!r}, which is not a text encoding", _cookie_line(raw))
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise SourceError(f"cannot decode as {encoding} at byte {error.start} (line {line})", line) from None
    except (UnicodeError, ValueError, LookupError) as error:  # punycode, undefined, idna...
        reason = " ".join(str(error).split())
        raise SourceError(f"cannot decode as {encoding}: {reason}", _cookie_line(raw)) from None
    if "\x00" in text:
        raise SourceError("source contains null bytes", text[: text.index("\x00")].count("\n") + 1)
    return text, encoding


def _cookie_line(raw: bytes) -> int:
    return raw[:max(raw.find(b"coding"), 0)].count(b"\n") + 1


PYTHON_NEWLINE = re.compile(r"\r\n|\r|\n")  # not str.splitlines, which also splits at \f, \v, \x1c...


def python_lines(source: str) -> list[str]:
    """The lines as Python counts them."""
    lines = PYTHON_NEWLINE.split(source)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def python_rejects(text: str, path: str = "<module>") -> Exception | None:
    """Why Python's compiler refuses ``text`` (a SyntaxError, ValueError, RecursionError or
    MemoryError), or None. libcst must only see code Python compiles: its native parser
    overflows the C stack (the process dies) on nesting that Python refuses, and its trees are
    built without libcst's own checks (see model.py). Compiling to bytecode costs less than
    building Python's AST, and also refuses what only the compiler checks (``return *x``)."""
    try:
        with warnings.catch_warnings(), default_recursion_limit():  # escape warnings are not ours
            warnings.simplefilter("ignore")
            compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return error
    return None


def python_tree(text: str) -> ast.Module | None:
    """Python's own syntax tree of ``text`` (built in C, far cheaper than libcst's), or None
    when Python refuses it. The prefilter reads a shape's exact structure from it."""
    try:
        with warnings.catch_warnings(), default_recursion_limit():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def python_parses(text: str) -> bool:
    return python_rejects(text) is None
