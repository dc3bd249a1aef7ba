"""Opening an event log: its bytes, decompressed and capped, and its text, decoded or refused.

The layer under :mod:`blueprint.logs.reading` (CSV and XES parsing): whatever reads a log, such as
``discover`` and ``replay``, opens it through :func:`open_log` and, for CSV, decodes it with
:func:`text_lines`.

- **Compression** is recognised by its magic bytes, whatever the file is called: gzip
  (``.xes.gz``, ``.csv.gz``, the usual way logs are shipped), bzip2 and xz are undone on the fly.
- **The cap** (``max_bytes``, :data:`DEFAULT_MAX_BYTES` = 1 GiB unless told) counts the bytes
  actually read, after decompression: a gzip bomb, ``/dev/zero`` or an endless pipe are stopped
  there, and a file of any size on disk is read as long as what it holds is under the cap.
  ``0`` or ``None`` means no cap.
- **Encodings**: a byte order mark decides (UTF-8, UTF-16 or UTF-32); otherwise the text is read
  as ``encoding`` (UTF-8 unless told), and a byte that does not decode is refused with the line and
  the byte where it is, and the fix (``--encoding latin-1``).
- A FIFO with no writer is read as empty instead of waiting for ever.
"""
from __future__ import annotations

import bz2
import codecs
import gzip
import io
import itertools
import lzma
import os
import re
import stat
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import BlueprintError

__all__ = ["DEFAULT_MAX_BYTES", "LogFile", "open_log", "parse_size", "text_lines", "check_encoding"]

#: At most this many bytes of a log are read (after decompression) unless ``max_bytes`` says otherwise.
DEFAULT_MAX_BYTES = 1 << 30

_COMPRESSIONS = ((b"\x1f\x8b", "gzip", lambda raw: gzip.GzipFile(fileobj=raw)), (b"BZh", "bzip2", bz2.BZ2File),
                 (b"\xfd7zXZ\x00", "xz", lzma.LZMAFile))
#: Byte order marks, longest first (UTF-32 LE starts like UTF-16 LE).
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
ENCODING_HINT = ("if the log was saved in another encoding, name it: --encoding latin-1 (or cp1252, "
                 "the usual one of Windows exports; encoding='latin-1' in Python)")


def parse_size(text: str | int | None) -> int | None:
    """A number of bytes from ``"512M"``, ``"2G"``, ``"1000"``; ``None`` for no cap (``0``, ``none``).

    Examples
    --------
    >>> parse_size("64M"), parse_size("1.5k"), parse_size(2048), parse_size("0"), parse_size("none")
    (67108864, 1536, 2048, None, None)
    >>> parse_size("lots")
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: --max-bytes takes a size like 512M, 2G or 1000000 (0 for no cap), not 'lots'
    """
    if text is None or isinstance(text, int) and not isinstance(text, bool):
        return text or None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", str(text).lower())
    if str(text).strip().lower() in ("none", "no", "off", "unlimited"):
        return None
    if not match:
        raise BlueprintError(f"--max-bytes takes a size like 512M, 2G or 1000000 (0 for no cap), not '{text}'")
    return int(float(match.group(1)) * _UNITS[match.group(2)]) or None


def check_encoding(encoding: str | None) -> str | None:
    """The codec's canonical name for `encoding`, or a :class:`BlueprintError` when Python has none.

    Examples
    --------
    >>> check_encoding("Latin-1"), check_encoding(None)
    ('iso8859-1', None)
    >>> check_encoding("klingon")
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: unknown encoding 'klingon'; name one Python knows, like utf-8, ...
    """
    if encoding is None:
        return None
    try:
        "\n".encode(encoding)  # a text encoding, not a transform such as rot13
        return codecs.lookup(encoding).name
    except (LookupError, ValueError, TypeError):
        raise BlueprintError(f"unknown encoding '{encoding}'; name one Python knows, like utf-8, latin-1, "
                             "cp1252 or utf-16") from None


class _Capped(io.RawIOBase):
    """The bytes of `source`, counted: more than `limit` is an error; a damaged stream is one too."""

    def __init__(self, source: BinaryIO, limit: int | None, file: str, compression: str | None):
        self._source, self.limit, self.file, self.compression = source, limit, file, compression
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            n = self._source.readinto(buffer)
        except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
            if isinstance(exc, OSError) and self.compression is None:
                raise BlueprintError(f"cannot read the file: {exc.strerror or exc}", file=self.file) from None
            raise BlueprintError(f"the {self.compression} data is damaged after {self.count:,} bytes "
                                 f"({exc}); the file was cut short or is not really {self.compression}",
                                 file=self.file) from None
        n = n or 0
        self.count += n
        if self.limit is not None and self.count > self.limit:
            after = f" (after {self.compression} decompression)" if self.compression else ""
            raise BlueprintError(f"the log holds more than {_size(self.limit)}{after}, the cap on what is read; "
                                 "raise it with --max-bytes (like --max-bytes 4G, or 0 for no cap; max_bytes= "
                                 "in Python)", file=self.file)
        return n

    def close(self) -> None:
        try:
            self._source.close()
        finally:
            super().close()


def _size(n: int) -> str:
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= div:
            return f"{n / div:g} {unit}"
    return f"{n} bytes"


class LogFile:
    """An open log: :attr:`stream` gives its (decompressed) bytes; use it as a context manager.

    Attributes
    ----------
    file : str
        The path as given, for messages.
    compression : str or None
        ``"gzip"``, ``"bzip2"``, ``"xz"`` or ``None``.
    kind : str
        ``"xes"`` or ``"csv"``: by the name (``.xes``, ``.xml``, ``.csv``, ``.tsv``, ``.txt``,
        after a compression suffix), otherwise by the first bytes (``<``: XML).
    """

    def __init__(self, stream: io.BufferedReader, file: str, compression: str | None, kind: str):
        self.stream, self.file, self.compression, self.kind = stream, file, compression, kind

    def __enter__(self) -> LogFile:
        return self

    def __exit__(self, *exc) -> None:
        self.stream.close()


def _open_bytes(path: str | os.PathLike, file: str) -> BinaryIO:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise BlueprintError("no such file; check the path and the name", file=file) from None
    except (OSError, ValueError) as exc:  # a NUL byte, a name too long, a folder we may not enter
        raise BlueprintError(f"cannot read this path: {getattr(exc, 'strerror', None) or exc}", file=file) from None
    if stat.S_ISDIR(mode):
        raise BlueprintError("this is a folder; name a .csv or .xes log (gzip too)", file=file)
    try:  # without blocking: a FIFO with no writer reads as empty instead of waiting for ever
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except OSError as exc:
        raise BlueprintError(f"cannot read the file: {exc.strerror}", file=file) from None
    return os.fdopen(fd, "rb", buffering=0)


def open_log(path: str | os.PathLike, *, max_bytes: int | str | None = DEFAULT_MAX_BYTES) -> LogFile:
    """Open a log for reading: compression undone by its magic bytes, at most `max_bytes` read.

    Parameters
    ----------
    path : str or PathLike
        The log.
    max_bytes : int, str or None
        The cap on the bytes read after decompression (``"2G"`` too); ``None`` or 0: no cap.

    Raises
    ------
    BlueprintError
        For a path that is not a readable file; later, while reading, for more than `max_bytes`
        or damaged compressed data.

    Examples
    --------
    >>> import gzip, tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "log.csv.gz"
    >>> target.write_bytes(gzip.compress(b"case,activity,timestamp\\n"))
    44
    >>> with open_log(target) as log:
    ...     log.compression, log.kind, log.stream.read()
    ('gzip', 'csv', b'case,activity,timestamp\\n')
    """
    file = str(path)
    limit = parse_size(max_bytes)
    raw = io.BufferedReader(_open_bytes(path, file), buffer_size=1 << 16)
    try:
        head = raw.peek(8)[:8]
    except OSError as exc:
        raw.close()
        raise BlueprintError(f"cannot read the file: {exc.strerror}", file=file) from None
    compression, source = None, raw
    for magic, name, opener in _COMPRESSIONS:
        if head.startswith(magic):
            compression, source = name, opener(raw)
            break
    stream = io.BufferedReader(_Capped(source, limit, file, compression), buffer_size=1 << 16)
    return LogFile(stream, file, compression, _kind(file, stream))


def _kind(file: str, stream: io.BufferedReader) -> str:
    suffixes = [s.lower() for s in Path(file).suffixes[-2:] if s.lower() not in (".gz", ".gzip", ".bz2", ".xz")]
    if suffixes and suffixes[-1] in (".xes", ".xml"):
        return "xes"
    if suffixes and suffixes[-1] in (".csv", ".tsv", ".txt"):
        return "csv"
    head = stream.peek(64)[:64]
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            head = head[len(bom):].decode(encoding.replace("-sig", ""), errors="ignore").encode("ascii", "ignore")
            break
    return "xes" if head.lstrip()[:1] == b"<" else "csv"


def _bom(stream: io.BufferedReader) -> str | None:
    head = stream.peek(4)[:4]
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return None


def text_lines(log: LogFile, encoding: str | None = None) -> Iterator[str]:
    """The lines of a text log, decoded, each with its line ending (``\\n``, ``\\r\\n`` or ``\\r``, as
    :mod:`csv` wants them).

    A byte order mark decides the encoding; otherwise `encoding` (UTF-8 unless given). A byte that
    does not decode is a :class:`BlueprintError` naming the line and the byte offset.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> target.write_bytes("case,activity\\n1,caf\\u00e9\\n".encode("latin-1"))
    21
    >>> with open_log(target) as log:
    ...     list(text_lines(log))
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: ...log.csv: line 2, byte 20: b'\\xe9' is not utf-8 text; ... --encoding latin-1 ...
    >>> with open_log(target) as log:
    ...     list(text_lines(log, "latin-1"))
    ['case,activity\\n', '1,café\\n']
    """
    name = _bom(log.stream) or check_encoding(encoding) or "utf-8"
    return itertools.chain.from_iterable(io.StringIO(text, newline="") for text in _decoded(log, name))


def _line_ends(text: str) -> int:
    """How many lines end in `text` (at ``\\n``, ``\\r\\n`` or ``\\r``, as :mod:`csv` reads them)."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


#: The longest line read: a longer one is not a log's (``/dev/zero``, a binary file).
MAX_LINE = 64 << 20


def _decoded(log: LogFile, encoding: str) -> Iterator[str]:
    """The text in pieces of about a MiB, each ending at a line end; a byte that does not decode is
    an error naming its line and its offset in the (decompressed) file."""
    decoder = codecs.getincrementaldecoder(encoding)()
    pending: list[str] = []  # the start of a line, in pieces
    waiting = lines = offset = 0
    while True:
        chunk = log.stream.read(1 << 20)
        held = decoder.getstate()[0]  # the start of a character cut at the end of the last piece
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            before = (held + chunk)[:exc.start].decode(encoding, errors="replace")
            bad = exc.object[exc.start:max(exc.end, exc.start + 1)][:4]
            raise BlueprintError(f"line {lines + _line_ends(before) + 1}, byte {offset - len(held) + exc.start + 1}"
                                 f": {bad!r} is not {encoding.replace('-sig', '')} text; {ENCODING_HINT}",
                                 file=log.file) from None
        offset += len(chunk)
        cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1  # (a last \r may pair with a \n)
        if not chunk or cut:
            piece = "".join(pending) + (text if not chunk else text[:cut])
            lines += _line_ends(piece)
            pending, waiting = ([], 0) if not chunk else ([text[cut:]], len(text) - cut)
            if piece:
                yield piece
            if not chunk:
                return
            continue
        pending.append(text)
        waiting += len(text)
        if waiting > MAX_LINE:
            raise BlueprintError(f"line {lines + 1} is longer than {MAX_LINE >> 20} MiB: this is not a CSV log "
                                 "(a binary file?)", file=log.file)
