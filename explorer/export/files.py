"""Writing output files whole or not at all."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import tempfile
import threading
from pathlib import Path
from typing import Iterator

#: A temporary output's name: ``.NAME.<pid of its writer>.<random>.part.SUFFIX``.
_TEMPORARY = re.compile(r"\..+\.(?P<pid>\d+)\.[a-z0-9_]+\.part(\.[^.]*)?")


class OutputExistsError(FileExistsError):
    """The output file exists and replacing it was not asked for."""


class Terminated(SystemExit):
    """SIGTERM arrived while an output was being written; raised so that its temporary file is removed.

    Its exit code is 143 (128 + SIGTERM), what a shell reports for a process the signal ended.
    """

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)


@contextlib.contextmanager
def atomic_output(path: str | Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed to ``path``, on failure removed.

    The temporary name carries the writer's process id, so that temporary files left by writers that died
    without cleaning up (``kill -9``, a power cut) are removed by the next output into the folder. In the main
    thread, SIGTERM raises :class:`Terminated` while the output is written, so its temporary file is removed
    too; the previous handler is back afterwards.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``force`` is false.
    OSError
        The folder does not exist or is not writable (the message names the path).

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_output(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text()
    'hello'
    """
    path = Path(path)
    if path.exists() and not force:
        raise OutputExistsError(f"{path} exists (use --force / force=True to replace it)")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    _remove_stale(folder)
    with _sigterm_unwinds():
        try:
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".part" + path.suffix,
                                            dir=folder)
        except OSError:
            raise PermissionError(f"cannot write {path}: folder {folder} is not writable") from None
        os.close(handle)
        temporary = Path(name)
        try:
            yield temporary
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


def _remove_stale(folder: Path) -> list[Path]:
    """Remove the temporary files in ``folder`` that :func:`atomic_output` writers left as they died; returns them.

    Only files named as :func:`atomic_output` names them, owned by this user, whose writer's process no longer
    runs, are removed.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / ".knee.gif.99999999.abcd1234.part.gif").touch()  # no process has that id
    >>> [p.name for p in _remove_stale(folder)]
    ['.knee.gif.99999999.abcd1234.part.gif']
    """
    if os.name != "posix":  # os.kill(pid, 0) would not be a harmless probe there
        return []
    removed = []
    for candidate in folder.glob(".*.part*"):
        match = _TEMPORARY.fullmatch(candidate.name)
        with contextlib.suppress(OSError):
            if match and candidate.lstat().st_uid == os.getuid() and not _running(int(match["pid"])):
                candidate.unlink()
                removed.append(candidate)
    return removed


def _running(pid: int) -> bool:
    """Whether a process with this id may run (another user's does; so does an id out of range: not ours)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        pass
    return True


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """In the main thread, SIGTERM raises :class:`Terminated` inside the block (unless it is ignored)."""
    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread() or previous == signal.SIG_IGN:
        yield  # only the main thread may set handlers
        return

    def stop(signum, frame) -> None:
        if callable(previous):
            previous(signum, frame)
        else:
            raise Terminated()

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
