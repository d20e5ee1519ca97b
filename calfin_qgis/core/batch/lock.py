"""One writer per batch output: a lock file beside it, held for the whole run.

Two runs appending to one GeoPackage (one in QGIS, one in a shell) would each plan the same
jobs and write the same fronts twice; SQLite's own locking only makes one of them fail in
the middle. The lock is an OS lock (``flock``; ``msvcrt.locking`` on Windows) on
``.<output>.lock``, so the system releases it when its process dies, however it dies:
a killed run never leaves a stale lock behind. The second run is refused at once, with the
first one's process id.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import InputError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt


def lock_path(output: str | os.PathLike) -> Path:
    target = Path(output)
    return target.with_name(f".{target.name}.lock")


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError as err:
        if err.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise
    return True


def _open_lock(path: Path, output: str | os.PathLike) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError as err:
        raise InputError(
            f"Output folder {path.parent} does not exist. Create it or pick another path."
        ) from err
    except OSError as err:
        if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise InputError(
                f"{output}: its folder {path.parent} is read-only ({err.strerror}), so the "
                "batch cannot write there. Make it writable, or copy the output to a "
                "writable folder and run with that copy to resume."
            ) from err
        raise


@contextlib.contextmanager
def output_lock(output: str | os.PathLike) -> Iterator[None]:
    """Hold ``output``'s lock for the ``with`` block, or refuse: another run writes it."""
    path = lock_path(output)
    while True:
        fd = _open_lock(path, output)
        if not _try_lock(fd):
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise InputError(
                f"{output} is being written by another batch run (process {holder}). Wait "
                "for it to finish (then run again to add what it did not do), or choose "
                "another output file."
            )
        # The lock file may have been removed by the run that held it just now: a lock on
        # a removed file locks nothing, so lock the file that is there.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        with contextlib.suppress(OSError):  # who holds it, for the message; a full disk
            os.ftruncate(fd, 0)  # must not stop the lock (SQLite then says it is full)
            os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)
