"""Files in and out: reading with a cap on what is read, and writing that never leaves a file
half-written or replaces what is not a file.

Reading (:func:`read_bytes`) counts the bytes as they come, so a pipe, ``/dev/stdin`` or
``/dev/zero`` is refused as soon as it passes the cap, like a file that is too large; a named pipe
(FIFO) with nothing writing to it reads as empty instead of blocking for ever.
:func:`readable_file` is for readers that open the path themselves: it lets through regular files
under the cap only.

Writing (:func:`write_atomic`) goes through a temporary file renamed over a regular file only when
complete; Ctrl-C, ``kill`` (SIGTERM) or SIGHUP during the write remove the temporary file. A target
that exists and is not a regular file is never replaced:

- the standard streams (``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``) are written to the open
  stream itself;
- a character device (``/dev/null``, a terminal) or a named pipe is written straight through, as
  a shell's ``>`` would (a pipe nobody reads from is refused rather than waited on);
- a symbolic link, a folder, a block device or a socket is refused with the reason.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import signal
import stat
import sys
import tempfile
import threading
from pathlib import Path

from .errors import BlueprintError

__all__ = ["readable_file", "read_bytes", "write_atomic", "same_file", "MAX_BYTES"]

#: What is read of one input at most; more is refused.
MAX_BYTES = 64 * 1024 * 1024
_CHUNK = 1 << 20
#: Paths that name a stream this process already has open: written to it, never replaced.
_OPEN_STREAM = re.compile(r"^/(?:dev/(?:stdout|stderr)|dev/fd/(\d+)|proc/self/fd/(\d+))$")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def _status(path: str | os.PathLike, name: str, *, follow: bool = True) -> os.stat_result | None:
    """``os.stat`` of `path`, ``None`` when there is nothing there; a :class:`BlueprintError` for a
    path that cannot name a file at all (a NUL byte, a name too long)."""
    if "\x00" in name:
        raise BlueprintError("the path holds a NUL byte (\\0), which no file name can; check how the path "
                             "was typed or made", file=name.replace("\x00", "\\0"))
    try:
        return os.stat(path) if follow else os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise BlueprintError("the path is too long for the file system (a name holds at most 255 bytes); "
                                 "shorten it", file=name[:80] + ("..." if len(name) > 80 else "")) from None
        if exc.errno == errno.ELOOP:
            raise BlueprintError("the symbolic links in this path go round in a loop; fix the links",
                                 file=name) from None
        raise BlueprintError(f"cannot read the file: {exc.strerror}", file=name) from None


def _size(n: float) -> str:
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n:,.0f} bytes"


def _too_large(limit: int) -> str:
    return (f"more than {_size(limit)}; a blueprint or BPMN file is read up to {_size(limit)} "
            "(a pipe or device is read until then)")


def readable_file(path: str | os.PathLike, what: str = "a .yaml or .json file") -> Path:
    """`path` when it names a regular file under :data:`MAX_BYTES`, else a :class:`BlueprintError` saying why.

    For readers that open the path themselves: pipes and devices are refused here (read them with
    :func:`read_bytes`, which counts what it reads).

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
    >>> readable_file("/dev/null", "a .bpmn file")
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: /dev/null: this is a character device, not a file; name a .bpmn file
    """
    name = os.fsdecode(path)
    st = _status(path, name)
    if st is None:
        raise BlueprintError("no such file; check the path and the name", file=name)
    if stat.S_ISDIR(st.st_mode):
        raise BlueprintError(f"this is a folder; name {what}", file=name)
    if not stat.S_ISREG(st.st_mode):
        raise BlueprintError(f"this is {_kind(st.st_mode)}, not a file; name {what}", file=name)
    if st.st_size > MAX_BYTES:
        raise BlueprintError(f"the file is {_size(st.st_size)}: {_too_large(MAX_BYTES)}", file=name)
    return Path(path)


def read_bytes(path: str | os.PathLike, what: str = "a .yaml or .json file", limit: int | None = None) -> bytes:
    """What `path` holds, read up to `limit` bytes (default :data:`MAX_BYTES`): a file, a pipe or a device.

    Raises
    ------
    BlueprintError
        For a missing path, a folder, a block device or socket, or more than `limit` bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.yaml"
    >>> _ = path.write_text("steps: {}")
    >>> read_bytes(path)
    b'steps: {}'
    >>> read_bytes("/dev/zero", limit=1000)
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: /dev/zero: more than 1,000 bytes; ...
    """
    limit = MAX_BYTES if limit is None else limit
    name = os.fsdecode(path)
    st = _status(path, name)
    if st is None:
        raise BlueprintError("no such file; check the path and the name", file=name)
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise BlueprintError(f"this is a folder; name {what}", file=name)
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        raise BlueprintError(f"this is {_kind(mode)}, not a file; name {what}", file=name)
    if stat.S_ISREG(mode) and st.st_size > limit:
        raise BlueprintError(f"the file is {_size(st.st_size)}: {_too_large(limit)}", file=name)
    try:  # not blocking on a pipe that has no writer: it reads as empty
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise BlueprintError(f"cannot read the file: {exc.strerror}", file=name) from None
    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)  # a writer that is there is waited for
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise BlueprintError(_too_large(limit), file=name)
    except OSError as exc:
        raise BlueprintError(f"cannot read the file: {exc.strerror}", file=name) from None
    finally:
        os.close(fd)
    if not total and stat.S_ISFIFO(mode):
        raise BlueprintError(f"nothing was written to this pipe; send {what} into it, or name the file",
                             file=name)
    return b"".join(chunks)


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name the same file (``False`` when either cannot name one).

    Examples
    --------
    >>> same_file("a.yaml", "./a.yaml"), same_file("a.yaml", "b.yaml"), same_file("a\\0", "a")
    (True, False, False)
    """
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except (OSError, ValueError):
        return False


class _Terminated(BaseException):
    """SIGTERM or SIGHUP arrived during a write: unwound like Ctrl-C, then delivered again."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_unwind():
    """While a write runs (main thread only), SIGTERM and SIGHUP unwind it like Ctrl-C does; once
    the temporary file is gone, the signal is delivered again with the handler the caller had."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def unwind(signum, frame):
        raise _Terminated(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:  # a caller's own handler or SIG_IGN is left alone
            previous[sig] = signal.signal(sig, unwind)
    try:
        yield
    except _Terminated as exc:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        previous.clear()
        os.kill(os.getpid(), exc.signum)  # dies of it, as it would have
        raise SystemExit(128 + exc.signum) from None  # pragma: no cover
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_through(path: str, fd: int | None, data: bytes, mode: int) -> None:
    """Write to an open stream, a character device or a pipe as a shell's ``>`` would."""
    if fd is None:
        flags = os.O_WRONLY | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags | (os.O_NONBLOCK if stat.S_ISFIFO(mode) else 0))
        except OSError as exc:
            if exc.errno == errno.ENXIO:
                raise BlueprintError(f"cannot write {path}: it is a pipe that nothing reads from; start the "
                                     "reader first, or write to a file") from None
            raise BlueprintError(f"cannot write {path}: {exc.strerror}") from None
        owned = True
    else:
        owned = False
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        _write_all(fd, data)
    except OSError as exc:
        raise BlueprintError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        if owned:
            os.close(fd)


def write_atomic(path: str | os.PathLike, content: str | bytes) -> None:
    """Write `content` to `path` through a temporary file in the same folder, renamed over the
    target only when complete: a failure, Ctrl-C or ``kill`` leaves the old file as it was.

    A target that exists and is not a regular file is never replaced: the standard streams,
    character devices and pipes are written straight through; symbolic links, folders, block
    devices and sockets are refused (see the module's notes).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> write_atomic(target, "hello")
    >>> target.read_text()
    'hello'
    >>> write_atomic("/dev/null", "gone")
    """
    name = os.fsdecode(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    stream = _OPEN_STREAM.match(os.path.abspath(name)) if "\x00" not in name else None
    if stream:
        fd = {"/dev/stdout": 1, "/dev/stderr": 2}.get(os.path.abspath(name))
        fd = fd if fd is not None else int(stream[1] or stream[2])
        for handle in (sys.stdout, sys.stderr):  # what was printed comes first
            with contextlib.suppress(Exception):
                handle.flush()
        return _write_through(name, fd, data, 0)
    here = _status(path, name, follow=False)
    if here is not None and not stat.S_ISREG(here.st_mode):
        there = _status(path, name) if stat.S_ISLNK(here.st_mode) else here
        if there is not None and (stat.S_ISCHR(there.st_mode) or stat.S_ISFIFO(there.st_mode)):
            return _write_through(name, None, data, there.st_mode)
        if there is not None and stat.S_ISDIR(there.st_mode):
            raise BlueprintError(f"cannot write {name}: it is a folder; give a file name")
        if stat.S_ISLNK(here.st_mode):
            raise BlueprintError(f"cannot write {name}: it is a symbolic link (to {os.readlink(name)}), which "
                                 "would be replaced by a file; give the file it points to, or remove the link")
        raise BlueprintError(f"cannot write {name}: it is {_kind(here.st_mode)}, not a file; give a file name")
    folder = os.path.dirname(name) or "."
    if not os.path.isdir(folder):
        raise BlueprintError(f"cannot write {name}: the folder {folder} does not exist; create it first")
    with _signals_unwind():
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(name)[:100]}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if here is not None:
                os.chmod(tmp, here.st_mode & 0o7777)
                if os.geteuid() == 0:  # root keeps the file's owner
                    os.chown(tmp, here.st_uid, here.st_gid)
            else:
                os.chmod(tmp, 0o644)
            os.replace(tmp, name)
        except BaseException as exc:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            if isinstance(exc, OSError):
                why = ("the name is too long for the file system (at most 255 bytes); shorten it"
                       if exc.errno == errno.ENAMETOOLONG else exc.strerror)
                raise BlueprintError(f"cannot write {name}: {why}") from None
            raise

