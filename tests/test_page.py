"""The browser page and its static files: what browsers are told about them."""

import base64
import hashlib
import re

import pytest


def _policy(header):
    """A Content-Security-Policy header as ``{directive: [sources]}``."""
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def _inline_scripts(html):
    return re.findall(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", html, re.S)


def _sha256(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.mark.gen_test
async def test_the_page_runs_only_its_own_scripts_and_cannot_be_framed(api):
    status, html = await api.get("/")
    assert status == 200
    headers = api.last.headers
    policy = _policy(headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"], "the API and the socket, nothing else"
    # The one inline element is the import map, allowed by its hash alone.
    [importmap] = _inline_scripts(html)
    assert '"imports"' in importmap
    assert policy["script-src"] == ["'self'", _sha256(importmap)]
    assert "frame-src" not in policy, "no Telegram widget without a bot"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handlers would be blocked"
    assert not re.search(r"\sstyle\s*=", html), "inline styles would be blocked"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("config_overrides", [{"telegram_bot_username": "unimatch_test_bot"}])
@pytest.mark.gen_test
async def test_the_login_widget_is_allowed_only_with_a_bot(api, config_overrides):
    status, html = await api.get("/")
    assert status == 200
    policy = _policy(api.last.headers["Content-Security-Policy"])
    [importmap] = _inline_scripts(html)
    # The widget's script, the frame it adds, and the eval it turns its
    # data-onauth attribute into a function with.
    assert policy["script-src"] == ["'self'", _sha256(importmap), "https://telegram.org",
                                    "'unsafe-eval'"]
    assert policy["frame-src"] == ["https://oauth.telegram.org"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.gen_test
async def test_static_files_are_never_sniffed(api):
    status, _ = await api.get("/static/main.js")
    assert status == 200
    assert api.last.headers["X-Content-Type-Options"] == "nosniff"
    status, _ = await api.get("/static/missing.js")
    assert status == 404
    assert api.last.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("config_overrides", [{"telegram_bot_username": "unimatch_test_bot"}])
@pytest.mark.gen_test
async def test_the_stats_page_runs_its_own_modules_and_never_telegrams(api, config_overrides):
    status, html = await api.get("/stats/")
    assert status == 200
    assert api.last.headers["Content-Type"] == "text/html; charset=UTF-8"
    policy = _policy(api.last.headers["Content-Security-Policy"])
    [importmap] = _inline_scripts(html)
    # No Login Widget on this page, so no Telegram even with a bot.
    assert policy["script-src"] == ["'self'", _sha256(importmap)]
    assert "frame-src" not in policy
    assert "stats-page" in re.search(r'<script type="module" src="([^"]+)"', html)[1]
    assert "stats-chart.js" in importmap and "dashboard.js" not in importmap
    # The figures come from the API, for staff only: the page holds none.
    assert "<table" in html and "<tr" not in html
