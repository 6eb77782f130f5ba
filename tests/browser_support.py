"""Helpers for the browser tests: Debian's Chromium for Playwright (never a
downloaded one) and what a failed test leaves behind."""

import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def save_failure_artifacts(test_name: str, pages, servers) -> None:
    """Screenshots of every open page and the servers' logs, for a failed test."""
    ARTIFACTS.mkdir(exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in test_name)
    for index, page in enumerate(pages):
        if page.is_closed():
            continue
        try:
            page.screenshot(path=str(ARTIFACTS / f"{safe}-page{index}.png"), full_page=True)
        except Exception as exc:  # a crashed page must not hide the real failure
            print(f"could not screenshot page {index}: {exc}", file=sys.stderr)
    for index, server in enumerate(servers):
        (ARTIFACTS / f"{safe}-server{index}.log").write_text(server.log)
