"""The data directory: the embedded database's files and the generated JWT
secret. Private to the service's user (0700, files 0600) and checked at
start, so a directory the service cannot write is one clear error rather
than a traceback or a 500 on the first registration."""

import logging
import os
import stat
import tempfile

logger = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


class DataDirUnusable(RuntimeError):
    """The data directory cannot be created or written."""


def prepare_data_dir(path: str, owned: tuple[str, ...] = ()) -> str:
    """Create ``path`` (0700) or make it private, check the service can
    write in it, and make each of ``owned`` (names inside it: our files and
    directories, never anything else an operator keeps there) private too.
    Returns the absolute path; raises :class:`DataDirUnusable`."""
    path = os.path.abspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise DataDirUnusable(f"data directory {path} is not usable: not a directory")
    try:
        os.makedirs(path, mode=PRIVATE_DIR, exist_ok=True)
        _chmod(path, os.stat(path).st_mode, PRIVATE_DIR)
        for name in owned:
            _make_private(os.path.join(path, name))
        # A real write: as root, only the attempt tells a read-only mount.
        probe, probe_path = tempfile.mkstemp(dir=path, prefix=".write-test-")
        os.close(probe)
        os.remove(probe_path)
        for name in owned:
            _check_writable(os.path.join(path, name))
    except OSError as exc:
        raise DataDirUnusable(f"data directory {path} is not usable: "
                              f"{exc.strerror or exc}") from None
    return path


def private_file(path: str, flags: int = os.O_WRONLY | os.O_CREAT | os.O_APPEND) -> int:
    """Open ``path`` (0600 if it is created) and return the descriptor."""
    return os.open(path, flags, PRIVATE_FILE)


def _make_private(path: str) -> None:
    """0700 for a directory of ours and 0600 for the files in it, 0600 for
    a file of ours; nothing if absent."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        _chmod(path, info.st_mode, PRIVATE_DIR)
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    _chmod(entry.path, entry.stat(follow_symlinks=False).st_mode, PRIVATE_FILE)
    elif stat.S_ISREG(info.st_mode):
        _chmod(path, info.st_mode, PRIVATE_FILE)


def _chmod(path: str, mode: int, wanted: int) -> None:
    if stat.S_IMODE(mode) & ~wanted:
        os.chmod(path, wanted)
        logger.warning("%s was open to other users (mode %04o); made it %04o",
                       path, stat.S_IMODE(mode), wanted)


def _check_writable(path: str) -> None:
    """``path`` and, for a directory, the files in it can be written."""
    paths = [path]
    if os.path.isdir(path):
        paths += [entry.path for entry in os.scandir(path) if entry.is_file()]
    for each in paths:
        if os.path.exists(each) and not os.access(each, os.W_OK):
            raise PermissionError(f"{each} is read-only")
