"""Files in and out: a readable file or a clear error before reading; writing that never leaves a file half-written."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import BlueprintError

__all__ = ["readable_file", "write_atomic"]

#: Files larger than this are refused before reading.
MAX_BYTES = 64 * 1024 * 1024


def readable_file(path: str | os.PathLike, what: str = "a .yaml or .json file") -> Path:
    """`path` when it names a file that can be read, else a :class:`BlueprintError` saying why.

    Parameters
    ----------
    path : str or PathLike
        The file.
    what : str
        What the user should name instead of a folder, for the message.

    Examples
    --------
    >>> readable_file("/no/such/file.yaml")
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: /no/such/file.yaml: no such file; check the path and the name
    """
    name = str(path)
    path = Path(path)
    if not path.exists():
        raise BlueprintError("no such file; check the path and the name", file=name)
    if path.is_dir():
        raise BlueprintError(f"this is a folder; name {what}", file=name)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BlueprintError(f"cannot read the file: {exc.strerror}", file=name) from None
    if size > MAX_BYTES:
        raise BlueprintError(f"the file is {size / 2**20:.0f} MiB; files are read up to {MAX_BYTES // 2**20} MiB",
                             file=name)
    return path


def write_atomic(path: str | os.PathLike, content: str | bytes) -> None:
    """Write `content` to `path` through a temporary file in the same folder, renamed over the
    target only when complete: a failure leaves the old file as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> write_atomic(target, "hello")
    >>> target.read_text()
    'hello'
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise BlueprintError(f"cannot write {path}: the folder {folder} does not exist; create it first")
    if path.is_dir():
        raise BlueprintError(f"cannot write {path}: it is a folder; give a file name")
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise BlueprintError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise BlueprintError(f"cannot write {path}: {exc.strerror}") from None
        raise
