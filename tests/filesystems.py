"""Small real filesystems for fault tests: a tmpfs mounted for the length
of a block (root only; a test without the right to mount skips)."""

import contextlib
import pathlib
import subprocess

import pytest


@contextlib.contextmanager
def tmpfs(path: pathlib.Path, size: str = "4m", read_only: bool = False):
    """A tmpfs of ``size`` at ``path`` (created), read-only if asked."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        # Lazy: whatever still holds a file in it lets go when it exits.
        subprocess.run(["umount", "-l", str(path)], check=True)
