"""The package builds cleanly: no setuptools warnings, and the browser
client's files and the password list ship inside it."""

import subprocess
import sys
import zipfile

from harness import REPO

WHEELHOUSE = REPO / ".venv" / "wheelhouse"


def test_the_wheel_builds_without_warnings_and_carries_its_files(tmp_path):
    # Built as make install builds it, in an isolated build environment,
    # but offline: from the build backend make install downloaded.
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index",
         "--find-links", str(WHEELHOUSE), "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert "warning" not in output.lower(), output
    [wheel] = tmp_path.glob("unimatch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("unimatch/templates/index.html", "unimatch/static/main.js",
                     "unimatch/static/style.css", "unimatch/data/common-passwords.txt.gz",
                     "unimatch/store/users.py"):
        assert expected in names, expected
