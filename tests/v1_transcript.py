"""A fixed scenario of v1 requests against a running server, and what the
server answered to each: the record ``test_v1_unchanged.py`` compares with
the golden one in ``tests/data/v1_transcript.json``.

Issue 11 added v2 beside v1 on the promise that "v1 does not change by one
byte". The golden transcript is what v1 answered *before* the v2 work
began, so the test compares today's code with the code v1 was promised to
stay, not with itself.

This module uses the standard library only (``http.client``), and imports
nothing of ``unimatch``: it runs against any version of the code, as a
client would. The one piece of the service it needs, Telegram's login
signature, is restated here from Telegram's documentation.

What a record holds: the request (method, path, the headers sent, the body
as sent, which token it carried) and the answer (status, every header but
``Date``, ``Server`` and ``Content-Length``, and the body decoded). JSON
bodies are checked to be exactly ``json.dumps(body, ensure_ascii=False)``
of themselves (the service's own formatting); one that is not is kept
verbatim beside, so formatting counts too. What legitimately varies from
run to run is normalised (:func:`normalise`):

- a JWT becomes ``<jwt ALG TYPE user_id=N lifetime=SECONDS claims=...>``:
  its header, type, owner, lifetime and claim names are part of the answer,
  its times, ``jti`` and signature vary;
- ``created_at`` (a round's date) becomes ``<date>``, ``next_match_at`` and
  ``scheduled_for`` ``<datetime>``, the countdown's ``days_left``,
  ``hours_left`` and ``minutes_left`` ``<n>``, each only when it has the
  contract's format and range (so a broken one still shows);
- ``ETag`` becomes ``<etag>`` (a hash of a body that may hold a date);
- the server's own origin (its port varies) becomes ``<self>``; in the
  requests, a Telegram payload's ``auth_date`` becomes ``<now-Ns>`` and its
  signature ``<signed>``;
- the one answer that is not JSON, the OpenAPI document of ``api/schema/``,
  is kept as its status, headers and type only: its text is documentation,
  which v2 rightly extended.

Ids stay: on a fresh database users, hobbies and pairs are numbered in
request order, and the matcher's seed is the round number, so the pairs
are the same in every run too. (No scheduled round can join in: the server
checks for one only once an hour, see :data:`SERVER_OPTIONS`.)

Not in the scenario: a body over 1 MiB *sent* with its length (the server
answers 413 from the header and closes while the client is still sending,
so whether the client reads that answer or a reset is up to timing; the
same refusal is covered by a request that declares the length and sends
nothing), the WebSocket, and the page.

How the golden file was made, and how to make it again (only ever from the
code as it was before v2: the parent of commit cd2eba6 "v2 skeleton")::

    git worktree add --detach /tmp/v1-before cd2eba6^
    .venv/bin/nx-27017 --data-dir /tmp/v1-db --port 27917 &    # any MongoDB will do
    .venv/bin/python tests/v1_transcript.py --checkout /tmp/v1-before \\
        --mongo-url mongodb://127.0.0.1:27917 --output tests/data/v1_transcript.json
    kill %1; git worktree remove /tmp/v1-before

``--checkout`` runs that checkout's ``server.py`` and ``unimatch.cli`` with
its own package first on ``PYTHONPATH`` (the venv's ``unimatch`` is the
working tree's, installed editable), in a database of its own, with the
options of :data:`SERVER_OPTIONS` and :data:`SERVER_ENV`. It refuses to write
a transcript unless ``/v2/api/hobby/all/`` answers 404, i.e. unless the
server really is a v1-only one."""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable

#: The allowed browser origin, and one that is not.
ORIGIN = "http://client.example"
FOREIGN_ORIGIN = "http://elsewhere.example"
BOT_TOKEN = "123456:TRANSCRIPT-token"
#: The server's options and environment (beside port, data dir, database,
#: JWT secret and ``--bcrypt-rounds 4``). Telegram is a loopback port
#: nothing listens on: round notices fail there and go nowhere.
# The scheduler checks for a due round once an hour: a weekly slot passing
# during the few seconds of a run cannot add a round to the transcript.
SERVER_OPTIONS = ("--cors-origins", ORIGIN, "--round-check-interval", "3600")
SERVER_ENV = {"TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_API_URL": "http://127.0.0.1:9"}
PASSWORD = "correct-horse-7"
MAX_BODY = 1024 * 1024
#: A v2 path: 404 on the code before v2, served since.
V2_PROBE = "/v2/api/hobby/all/"

_DROPPED_HEADERS = frozenset({"date", "server", "content-length"})
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_COUNTS = {"days_left": 7, "hours_left": 23, "minutes_left": 59}
_JSON = "application/json"
_MISSING = object()


# -- normalisation -------------------------------------------------------------------


def describe_jwt(token: str) -> str:
    """What a JWT says that does not vary between runs."""
    try:
        header, payload = (json.loads(_b64(part)) for part in token.split(".")[:2])
        lifetime = payload["exp"] - payload["iat"]
        return (f"<jwt {header.get('alg')} {payload.get('token_type')} "
                f"user_id={payload.get('user_id')} lifetime={lifetime} "
                f"claims={','.join(sorted(payload))}>")
    except (ValueError, KeyError, TypeError):
        return "<jwt unreadable>"


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def normalise(value: object, key: str | None = None) -> object:
    """``value`` with what varies from run to run replaced (module docstring)."""
    if isinstance(value, dict):
        return {k: normalise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        if key == "created_at" and _DATE.fullmatch(value):
            return "<date>"
        if key in ("next_match_at", "scheduled_for") and _DATETIME.fullmatch(value):
            return "<datetime>"
        return _JWT.sub(lambda m: describe_jwt(m.group()), value)
    if key in _COUNTS and isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= _COUNTS[key]:
            return "<n>"
    return value


# -- Telegram's login signature (https://core.telegram.org/widgets/login) -----------


def sign_login(fields: dict, bot_token: str = BOT_TOKEN) -> dict:
    """``fields`` with the ``hash`` Telegram would give them: HMAC-SHA-256 of
    the sorted ``key=value`` lines, keyed with SHA-256 of the bot token."""
    check_string = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hashlib.sha256(bot_token.encode()).digest()
    signature = hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()
    return {**fields, "hash": signature}


# -- the client ----------------------------------------------------------------------


class Transcript:
    """Runs the scenario against ``base_url`` (``http://127.0.0.1:PORT``).

    ``make_staff(email)`` marks a registered user as staff the way an
    operator does (``unimatch create-admin``) and raises if it fails.
    :meth:`run` returns the records, one per request, in order."""

    def __init__(self, base_url: str, make_staff: Callable[[str], None]):
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.self_origin = f"{parts.scheme}://{parts.netloc}"
        self.make_staff = make_staff
        self.records: list[dict] = []
        self.tokens: dict[str, dict] = {}  # name -> {"access", "refresh"}
        self.now: int | None = None  # the Telegram payloads' clock

    # -- one request -----------------------------------------------------

    def call(self, step: str, method: str, path: str, body: object = _MISSING, *,
             raw: bytes | None = None, content_type: str | None = _JSON,
             auth: str | None = None, bearer: str | None = None,
             headers: dict | None = None) -> object:
        """Send one request, record it and its answer; returns the decoded body.

        ``body`` is sent as JSON, ``raw`` as it is; ``auth`` names whose
        access token goes in ``Authorization`` (``"ann"``, or
        ``"ann:refresh"``), ``bearer`` is the header's whole value."""
        sent = dict(headers or {})
        if body is not _MISSING:
            raw = json.dumps(body, ensure_ascii=False).encode()
        if raw is not None and content_type is not None:
            sent["Content-Type"] = content_type
        if auth is not None:
            name, _, kind = auth.partition(":")
            bearer = "Bearer " + self.tokens.get(name, {}).get(kind or "access", "missing-token")
        if bearer is not None:
            sent["Authorization"] = bearer
        request: dict = {"method": method, "path": path}
        shown = {k: v.replace(self.self_origin, "<self>") if len(v) < 1000 else f"<{len(v)} characters>"
                 for k, v in sent.items() if not (k == "Authorization" and auth is not None)}
        if shown:
            request["headers"] = normalise(shown)
        if auth is not None:
            request["token"] = auth
        if body is not _MISSING:
            request["body"] = self._request_body(body)
        elif raw is not None:
            request["raw"] = raw.decode("utf-8", "backslashreplace")
        status, answer_headers, data = self._send(method, path, raw, sent)
        return self._record(step, request, status, answer_headers, data)

    def _request_body(self, body: object) -> object:
        """The body sent, as recorded: a Telegram payload's time relative to
        the scenario's clock and its signature as ``<signed>``."""
        if isinstance(body, dict):
            body = dict(body)
            if isinstance(body.get("auth_date"), int) and self.now is not None:
                body["auth_date"] = f"<now-{self.now - body['auth_date']}s>"
            if isinstance(body.get("hash"), str) and re.fullmatch(r"[0-9a-f]{64}", body["hash"]):
                body["hash"] = "<signed>" if body["hash"] != "0" * 64 else body["hash"]
        return normalise(body)

    def _send(self, method: str, path: str, raw: bytes | None,
              headers: dict) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=raw, headers=headers)
            answer = connection.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            connection.close()

    def send_head_only(self, step: str, path: str, declared_length: int) -> None:
        """A POST that declares a body it never sends (refused before reading it)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.putrequest("POST", path)
            connection.putheader("Content-Type", _JSON)
            connection.putheader("Content-Length", str(declared_length))
            connection.endheaders()
            answer = connection.getresponse()
            status, headers, data = answer.status, answer.getheaders(), answer.read()
        finally:
            connection.close()
        self._record(step, {"method": "POST", "path": path,
                            "headers": {"Content-Type": _JSON,
                                        "Content-Length": str(declared_length)},
                            "body": "<none sent>"}, status, headers, data)

    def send_chunked(self, step: str, path: str, size: int) -> None:
        """A chunked POST of ``size`` bytes (no length declared)."""
        chunk = b"a" * 65536

        def chunks():
            left = size
            while left > 0:
                yield chunk[:left]
                left -= len(chunk)
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request("POST", path, body=chunks(), encode_chunked=True,
                               headers={"Content-Type": _JSON, "Transfer-Encoding": "chunked"})
            answer = connection.getresponse()
            status, headers, data = answer.status, answer.getheaders(), answer.read()
        finally:
            connection.close()
        self._record(step, {"method": "POST", "path": path,
                            "headers": {"Content-Type": _JSON, "Transfer-Encoding": "chunked"},
                            "body": f"<{size} bytes of 'a', chunked>"}, status, headers, data)

    def _record(self, step: str, request: dict, status: int, headers: list[tuple[str, str]],
                data: bytes) -> object:
        """Append the exchange to the transcript; the answer's decoded body."""
        response, decoded = self._record_answer(status, headers, data)
        self.records.append({"n": len(self.records) + 1, "step": step, "request": request,
                             "response": response})
        return decoded

    def _record_answer(self, status: int, headers: list[tuple[str, str]],
                       data: bytes) -> tuple[dict, object]:
        kept: dict[str, str] = {}
        for name, value in headers:
            if name.lower() in _DROPPED_HEADERS:
                continue
            value = value.replace(self.self_origin, "<self>")
            value = "<etag>" if name.lower() == "etag" else str(normalise(value))
            kept[name] = f"{kept[name]}, {value}" if name in kept else value
        response: dict = {"status": status,
                          "headers": dict(sorted(kept.items(), key=lambda kv: kv[0].lower()))}
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        decoded: object = None
        if content_type.startswith(_JSON):
            text = data.decode("utf-8")
            decoded = json.loads(text)
            response["body"] = normalise(decoded)
            if json.dumps(decoded, ensure_ascii=False) != text:
                response["body_text"] = normalise(text)  # not as the service formats JSON
        elif data:
            # Only the OpenAPI document: its text is the docs' (v2 added to them).
            response["body"] = f"<not JSON: {content_type or 'no type'}>"
        else:
            response["body"] = ""
        return response, decoded

    # -- helpers ---------------------------------------------------------

    def register(self, name: str, step: str, body: dict) -> dict:
        answer = self.call(step, "POST", "/users/api/register/", body)
        if isinstance(answer, dict) and "access" in answer:
            self.tokens[name] = {"access": answer["access"], "refresh": answer["refresh"]}
        return answer if isinstance(answer, dict) else {}

    def login(self, name: str, step: str, email: str, password: str = PASSWORD) -> None:
        answer = self.call(step, "POST", "/api/token/", {"email": email, "password": password})
        if isinstance(answer, dict) and "access" in answer:
            self.tokens[name] = {"access": answer["access"], "refresh": answer["refresh"]}

    # -- the scenario ----------------------------------------------------

    def run(self) -> list[dict]:
        self.public_endpoints()
        self.registration()
        self.registration_errors()
        self.request_bodies()
        self.logins()
        self.refresh_and_blacklist()
        self.authentication()
        self.me()
        self.hobbies()
        self.telegram()
        self.rounds_and_pairs()
        self.cors()
        self.http_errors()
        return self.records

    def public_endpoints(self) -> None:
        self.call("every hobby, before anyone registered", "GET", "/users/api/hobby/all/")
        self.call("the countdown", "GET", "/users/api/days-to-match/")
        self.call("the countdown, no trailing slash", "GET", "/users/api/days-to-match")
        self.call("the OpenAPI document (its text is not compared: docs)", "GET",
                  "/api/schema/")

    def registration(self) -> None:
        self.register("ann", "register ann: every field, email's domain in capitals", {
            "email": "Ann.Lee@Example.COM", "password": PASSWORD, "first_name": "Анна",
            "last_name": "Ли", "birth": "05-03-2001", "hobby": [1, 2, 3]})
        self.register("bob", "register bob: a leap day, hobbies out of order", {
            "email": "bob@example.com", "password": PASSWORD, "first_name": "Bob",
            "last_name": "Stone", "birth": "29-02-2000", "hobby": [4, 2, 2]})
        self.register("cat", "register cat: email and password only, email padded", {
            "email": "  cat@example.com ", "password": PASSWORD})
        self.register("dan", "register dan: nulls and an empty birth", {
            "email": "dan@example.com", "password": PASSWORD, "first_name": None,
            "last_name": None, "birth": "", "hobby": None})
        self.register("eve", "register eve: hobby ids as a string and a float, names padded", {
            "email": "eve@example.com", "password": PASSWORD, "first_name": "  Eve ",
            "last_name": "O'Neil", "birth": " 31-12-1999 ", "hobby": ["3", 5.0]})
        self.register("fay", "register fay (made staff later)", {
            "email": "fay@example.com", "password": PASSWORD, "first_name": "Fay",
            "last_name": "Admin", "hobby": [1, 16]})
        self.register("gus", "register gus: an emoji name", {
            "email": "gus@example.com", "password": PASSWORD, "first_name": "Gus 😀",
            "birth": "01-01-1900", "hobby": [2]})
        # Without the slash, and through a structured +json type.
        answer = self.call("register hal: no trailing slash, merge-patch+json", "POST",
                           "/users/api/register", {"email": "hal@example.com", "password": PASSWORD,
                                                   "first_name": "Hal", "hobby": [5, 6]},
                           content_type="application/merge-patch+json")
        if isinstance(answer, dict) and "access" in answer:
            self.tokens["hal"] = {"access": answer["access"], "refresh": answer["refresh"]}

    def registration_errors(self) -> None:
        path = "/users/api/register/"
        cases = [
            ("taken email in another case", {"email": "ANN.LEE@example.com", "password": PASSWORD}),
            ("taken email, padded and domain in capitals",
             {"email": " bob@EXAMPLE.com", "password": PASSWORD}),
            ("bad email: no @", {"email": "not-an-email", "password": PASSWORD}),
            ("bad email: no domain dot", {"email": "ann@localhost", "password": PASSWORD}),
            ("bad email: empty local part", {"email": "@example.com", "password": PASSWORD}),
            ("bad email: blank", {"email": "   ", "password": PASSWORD}),
            ("bad email: a number", {"email": 42, "password": PASSWORD}),
            ("bad email: null", {"email": None, "password": PASSWORD}),
            ("bad email: too long", {"email": "a" * 250 + "@example.com", "password": PASSWORD}),
            ("bad birth: ISO order", {"email": "x1@example.com", "password": PASSWORD,
                                      "birth": "2001-03-05"}),
            ("bad birth: no such day", {"email": "x2@example.com", "password": PASSWORD,
                                        "birth": "31-02-2001"}),
            ("bad birth: before 1900", {"email": "x3@example.com", "password": PASSWORD,
                                        "birth": "31-12-1899"}),
            ("bad birth: in the future", {"email": "x4@example.com", "password": PASSWORD,
                                          "birth": "01-01-2999"}),
            ("bad birth: a number", {"email": "x5@example.com", "password": PASSWORD,
                                     "birth": 20010305}),
            ("bad birth: full-width digits", {"email": "x6@example.com", "password": PASSWORD,
                                              "birth": "０５-０３-２００１"}),
            ("weak password: numeric", {"email": "x7@example.com", "password": "83749261"}),
            ("weak password: short", {"email": "x8@example.com", "password": "ab1"}),
            ("weak password: common", {"email": "x9@example.com", "password": "password"}),
            ("weak password: like the email", {"email": "samantha.jones@example.com",
                                               "password": "samantha.jones"}),
            ("weak password: short, numeric and common", {"email": "y1@example.com",
                                                          "password": "123"}),
            ("blank password", {"email": "y2@example.com", "password": ""}),
            ("password too long", {"email": "y3@example.com", "password": "x" * 129}),
            ("password not a string", {"email": "y4@example.com", "password": ["a"]}),
            ("missing fields: everything", {}),
            ("missing fields: password", {"email": "y5@example.com"}),
            ("missing fields: email", {"password": PASSWORD, "first_name": "Nobody"}),
            ("unknown hobby", {"email": "y6@example.com", "password": PASSWORD, "hobby": [1, 99]}),
            ("hobby id zero", {"email": "y7@example.com", "password": PASSWORD, "hobby": [0]}),
            ("hobby not a list", {"email": "y8@example.com", "password": PASSWORD, "hobby": "1"}),
            ("hobby of booleans", {"email": "y9@example.com", "password": PASSWORD,
                                   "hobby": [True]}),
            ("hobby of objects", {"email": "z1@example.com", "password": PASSWORD,
                                  "hobby": [{"id": 1}]}),
            ("hobby id past int64", {"email": "z2@example.com", "password": PASSWORD,
                                     "hobby": [2**63]}),
            ("first name a number", {"email": "z3@example.com", "password": PASSWORD,
                                     "first_name": 42}),
            ("first name with a line break", {"email": "z4@example.com", "password": PASSWORD,
                                              "first_name": "Ann\nLee"}),
            ("last name with NUL", {"email": "z5@example.com", "password": PASSWORD,
                                    "last_name": "Lee\u0000"}),
            ("last name too long", {"email": "z6@example.com", "password": PASSWORD,
                                    "last_name": "L" * 151}),
            ("every field wrong at once", {"email": "bad", "password": "1", "first_name": [],
                                           "last_name": {}, "birth": "yesterday",
                                           "hobby": [99]}),
        ]
        for step, body in cases:
            self.call(f"register: {step}", "POST", path, body)

    def request_bodies(self) -> None:
        path = "/users/api/register/"
        for step, raw in (("a list", b"[1, 2]"), ("a string", b'"text"'), ("a number", b"42"),
                          ("null", b"null"), ("truncated JSON", b'{"email": "a@example.com", '),
                          ("single quotes", b"{'email': 'a@example.com'}"),
                          ("not JSON at all", b"not json"),
                          ("invalid UTF-8", b'{"email": "\xff\xfe"}'),
                          ("NaN", b'{"email": NaN, "password": "x"}'),
                          ("a lone surrogate", b'{"email": "a@example.com", "password": "p\\ud800"}')):
            self.call(f"register body: {step}", "POST", path, raw=raw)
        self.call("register body: empty, typed JSON", "POST", path, raw=b"")
        login = {"email": "ann.lee@example.com", "password": PASSWORD}
        raw = json.dumps(login).encode()
        self.call("log-in body: text/plain (415)", "POST", "/api/token/", raw=raw,
                  content_type="text/plain")
        self.call("log-in body: a form (415)", "POST", "/api/token/", raw=raw,
                  content_type="application/x-www-form-urlencoded")
        self.call("log-in body: no Content-Type (415)", "POST", "/api/token/", raw=raw,
                  content_type=None)
        self.call("register body: text/plain (415)", "POST", path,
                  raw=b'{"email": "t@example.com", "password": "correct-horse-7"}',
                  content_type="text/plain;charset=UTF-8")

    def logins(self) -> None:
        self.login("ann", "log in: ann, the email in another case", "ANN.LEE@example.com")
        self.login("bob", "log in: bob", "bob@example.com")
        self.login("cat", "log in: cat, padded email", " cat@example.com ")
        path = "/api/token/"
        self.call("log in: wrong password", "POST", path,
                  {"email": "bob@example.com", "password": "wrong-horse-7"})
        self.call("log in: unknown email", "POST", path,
                  {"email": "nobody@example.com", "password": PASSWORD})
        self.call("log in: missing password", "POST", path, {"email": "bob@example.com"})
        self.call("log in: missing everything", "POST", path, {})
        self.call("log in: blank email", "POST", path, {"email": "", "password": PASSWORD})
        self.call("log in: password a number", "POST", path,
                  {"email": "bob@example.com", "password": 1234})
        self.call("log in: not an object", "POST", path, raw=b"[]")
        self.call("log in: GET is not allowed", "GET", path)

    def refresh_and_blacklist(self) -> None:
        refresh, blacklist = "/api/token/refresh/", "/api/token/blacklist/"
        first = self.tokens["cat"]["refresh"] if "cat" in self.tokens else "missing"
        answer = self.call("refresh: cat's token rotates", "POST", refresh, {"refresh": first})
        second = answer.get("refresh", "missing") if isinstance(answer, dict) else "missing"
        self.call("refresh: cat's rotated token again (blacklisted)", "POST", refresh,
                  {"refresh": first})
        answer = self.call("refresh: cat's new token", "POST", refresh, {"refresh": second})
        third = answer.get("refresh", "missing") if isinstance(answer, dict) else "missing"
        if isinstance(answer, dict) and "access" in answer:
            self.tokens["cat"] = {"access": answer["access"], "refresh": third}
        self.call("refresh: an access token", "POST", refresh,
                  {"refresh": self.tokens.get("bob", {}).get("access", "missing")})
        self.call("refresh: garbage", "POST", refresh, {"refresh": "not-a-token"})
        tampered = third[:-4] + ("AAAA" if not third.endswith("AAAA") else "BBBB")
        self.call("refresh: cat's token with its signature changed", "POST", refresh,
                  {"refresh": tampered})
        self.call("refresh: missing", "POST", refresh, {})
        self.call("refresh: blank", "POST", refresh, {"refresh": ""})
        self.call("refresh: a number", "POST", refresh, {"refresh": 5})
        self.call("refresh: GET is not allowed", "GET", refresh)
        # Blacklist (log out) a token of dan's own log-in.
        self.login("dan", "log in: dan", "dan@example.com")
        dan = self.tokens.get("dan", {}).get("refresh", "missing")
        self.call("blacklist: dan's refresh token", "POST", blacklist, {"refresh": dan})
        self.call("blacklist: the same token again", "POST", blacklist, {"refresh": dan})
        self.call("refresh: dan's blacklisted token", "POST", refresh, {"refresh": dan})
        self.call("blacklist: an access token", "POST", blacklist,
                  {"refresh": self.tokens.get("dan", {}).get("access", "missing")})
        self.call("blacklist: garbage", "POST", blacklist, {"refresh": "x.y.z"})
        self.call("blacklist: missing", "POST", blacklist, {})
        self.call("blacklist: not an object", "POST", blacklist, raw=b'"token"')
        self.call("me: dan's access token still works after the blacklist", "GET",
                  "/auth/users/me/", auth="dan")

    def authentication(self) -> None:
        me = "/auth/users/me/"
        self.call("me: no Authorization", "GET", me)
        self.call("me: a Token scheme", "GET", me, bearer="Token abc")
        self.call("me: Bearer without a token", "GET", me, bearer="Bearer")
        self.call("me: Bearer with two words", "GET", me, bearer="Bearer a b")
        self.call("me: Bearer garbage", "GET", me, bearer="Bearer not-a-token")
        self.call("me: a refresh token as access", "GET", me, auth="bob:refresh")
        access = self.tokens.get("bob", {}).get("access", "missing")
        self.call("me: bob's token with its signature changed", "GET", me,
                  bearer="Bearer " + access[:-4] + ("AAAA" if not access.endswith("AAAA") else "BBBB"))
        self.call("me: lower-case bearer", "GET", me, bearer="bearer " + access)
        self.call("pairs: no Authorization", "GET", "/users/api/pairs/")
        self.call("hobby: no Authorization", "GET", "/users/api/hobby/")
        self.call("hobby total: garbage token", "GET", "/users/api/hobby/total/",
                  bearer="Bearer x")
        self.call("tg-auth: no Authorization", "POST", "/users/api/tg-auth/", {"id": 1})
        self.call("create-pairs: no Authorization", "POST", "/admin-api/create-pairs/")
        self.call("hobby all: a garbage token on a public path", "GET", "/users/api/hobby/all/",
                  bearer="Bearer x")

    def me(self) -> None:
        me = "/auth/users/me/"
        for name in ("ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal"):
            self.call(f"me: {name}", "GET", me, auth=name)
        self.call("me: POST answers the same as GET", "POST", me, auth="ann")
        self.call("me: POST with a body", "POST", me, {"first_name": "ignored"}, auth="ann")
        self.call("me: no trailing slash", "GET", "/auth/users/me", auth="ann")
        changes = [
            ("first name", {"first_name": "Кэт"}),
            ("last name", {"last_name": "  Cole  "}),
            ("birth", {"birth": "15-08-1998"}),
            ("hobby", {"hobby": [7, 3, 7]}),
            ("is_active_pair off", {"is_active_pair": False}),
            ("is_active_pair on", {"is_active_pair": True}),
            ("every field at once", {"first_name": "Cat", "last_name": "Cole",
                                     "birth": "16-08-1998", "hobby": [2, 3],
                                     "is_active_pair": True}),
            ("names null, birth empty, hobby null", {"first_name": None, "last_name": None,
                                                     "birth": "", "hobby": None}),
            ("birth null", {"birth": None}),
            ("fields that cannot change are ignored", {"email": "new@example.com", "id": 99,
                                                       "chat_id": 12345, "image": "x.png",
                                                       "password": "new-horse-7",
                                                       "is_staff": True}),
            ("an empty object", {}),
            ("values back", {"first_name": "Cat", "last_name": "Cole", "birth": "16-08-1998",
                             "hobby": [2, 3]}),
        ]
        for step, body in changes:
            self.call(f"me PATCH: {step}", "PATCH", me, body, auth="cat")
        self.call("me PATCH: no body at all", "PATCH", me, auth="cat", content_type=None)
        errors = [
            ("bad birth", {"birth": "1998-08-16"}),
            ("future birth", {"birth": "01-01-2999"}),
            ("unknown hobby", {"hobby": [3, 98, 99]}),
            ("hobby not a list", {"hobby": 3}),
            ("is_active_pair a string", {"is_active_pair": "yes"}),
            ("is_active_pair null", {"is_active_pair": None}),
            ("first name with a tab", {"first_name": "Cat\tCole"}),
            ("first name a list", {"first_name": ["Cat"]}),
            ("several errors at once, with a good field", {"first_name": "Kat", "birth": "x",
                                                           "hobby": [0]}),
        ]
        for step, body in errors:
            self.call(f"me PATCH error: {step}", "PATCH", me, body, auth="cat")
        self.call("me PATCH error: not an object", "PATCH", me, raw=b"[]", auth="cat")
        self.call("me PATCH error: malformed JSON", "PATCH", me, raw=b"{bad", auth="cat")
        self.call("me PATCH error: text/plain", "PATCH", me, raw=b'{"first_name": "Eve"}',
                  auth="cat", content_type="text/plain")
        self.call("me: after the refused changes", "GET", me, auth="cat")
        self.call("me PATCH: hal pauses (no rounds for hal)", "PATCH", me,
                  {"is_active_pair": False}, auth="hal")
        self.call("me: PUT is not allowed", "PUT", me, {"first_name": "x"}, auth="cat")
        self.call("me: DELETE is not allowed", "DELETE", me, auth="cat")

    def hobbies(self) -> None:
        mine, every, total = "/users/api/hobby/", "/users/api/hobby/all/", "/users/api/hobby/total/"
        self.call("hobby: ann's names", "GET", mine, auth="ann")
        self.call("hobby: dan has none", "GET", mine, auth="dan")
        self.call("hobby PATCH: eve's replaced, duplicates dropped", "PATCH", mine,
                  {"hobby": [9, 1, 9]}, auth="eve")
        self.call("hobby: eve's names after", "GET", mine, auth="eve")
        self.call("hobby PATCH: ids as strings", "PATCH", mine, {"hobby": ["8", "1"]}, auth="eve")
        self.call("hobby PATCH: emptied", "PATCH", mine, {"hobby": []}, auth="dan")
        self.call("hobby PATCH: unknown id", "PATCH", mine, {"hobby": [1, 99]}, auth="eve")
        self.call("hobby PATCH: negative id", "PATCH", mine, {"hobby": [-1]}, auth="eve")
        self.call("hobby PATCH: a word", "PATCH", mine, {"hobby": ["chess"]}, auth="eve")
        self.call("hobby PATCH: missing", "PATCH", mine, {}, auth="eve")
        self.call("hobby PATCH: null", "PATCH", mine, {"hobby": None}, auth="eve")
        self.call("hobby PATCH: not a list", "PATCH", mine, {"hobby": {"1": True}}, auth="eve")
        self.call("hobby PATCH: not an object", "PATCH", mine, raw=b"[1]", auth="eve")
        self.call("hobby PATCH: back to 1 and 3", "PATCH", mine, {"hobby": [3, 1]}, auth="eve")
        self.call("hobby: POST is not allowed", "POST", mine, {"hobby": [1]}, auth="eve")
        self.call("hobby all: with a token", "GET", every, auth="ann")
        self.call("hobby all: no trailing slash", "GET", "/users/api/hobby/all")
        self.call("hobby all: POST is not allowed", "POST", every, {"name": "Шахматы"})
        self.call("hobby total: ann", "GET", total, auth="ann")
        self.call("hobby total: dan", "GET", total, auth="dan")
        self.call("hobby total: PATCH is not allowed", "PATCH", total, {"hobby": [1]}, auth="ann")

    def telegram(self) -> None:
        path = "/users/api/tg-auth/"
        now = self.now = int(time.time())
        ann = sign_login({"id": 5550001, "first_name": "Anna", "username": "anna_lee",
                          "auth_date": now})
        self.call("tg-auth: ann links her Telegram", "POST", path, ann, auth="ann")
        self.call("tg-auth: the same payload again (spent)", "POST", path, ann, auth="ann")
        self.call("tg-auth: ann links the same Telegram again, a new payload", "POST", path,
                  sign_login({"id": 5550001, "auth_date": now - 1}), auth="ann")
        self.call("tg-auth: bob tries ann's Telegram", "POST", path,
                  sign_login({"id": 5550001, "auth_date": now - 2}), auth="bob")
        self.call("tg-auth: bob links his, id as a string, every widget field", "POST", path,
                  sign_login({"id": "5550002", "first_name": "Bob", "last_name": "Stone",
                              "username": "bobstone", "photo_url": "https://t.me/i/b.jpg",
                              "auth_date": now - 3}), auth="bob")
        self.call("tg-auth: gus with his own email, another case (unsigned)", "POST", path,
                  {**sign_login({"id": 5550003, "auth_date": now - 4}),
                   "email": "GUS@example.com"}, auth="gus")
        self.call("tg-auth: eve names ann's email", "POST", path,
                  {**sign_login({"id": 5550004, "auth_date": now - 5}),
                   "email": "ann.lee@example.com"}, auth="eve")
        forged = sign_login({"id": 5550004, "auth_date": now - 6})
        forged["hash"] = "0" * 64
        self.call("tg-auth: a wrong hash", "POST", path, forged, auth="eve")
        self.call("tg-auth: another bot's signature", "POST", path,
                  sign_login({"id": 5550004, "auth_date": now - 7}, "654321:OTHER-token"),
                  auth="eve")
        tampered = sign_login({"id": 5550004, "first_name": "Eve", "auth_date": now - 8})
        tampered["first_name"] = "Mallory"
        self.call("tg-auth: a field changed after signing", "POST", path, tampered, auth="eve")
        self.call("tg-auth: two days old", "POST", path,
                  sign_login({"id": 5550004, "auth_date": now - 2 * 86400}), auth="eve")
        self.call("tg-auth: missing hash", "POST", path, {"id": 5550004, "auth_date": now},
                  auth="eve")
        self.call("tg-auth: id not a number", "POST", path,
                  sign_login({"id": "eve", "auth_date": now - 9}), auth="eve")
        self.call("tg-auth: empty object", "POST", path, {}, auth="eve")
        self.call("tg-auth: not an object", "POST", path, raw=b"[5550004]", auth="eve")
        self.call("tg-auth: malformed JSON", "POST", path, raw=b"{", auth="eve")
        self.call("tg-auth: GET is not allowed", "GET", path, auth="eve")
        self.call("me: ann after linking", "GET", "/auth/users/me/", auth="ann")

    def rounds_and_pairs(self) -> None:
        pairs, create = "/users/api/pairs/", "/admin-api/create-pairs/"
        self.call("pairs: ann before any round", "GET", pairs, auth="ann")
        self.call("create-pairs: ann is not staff", "POST", create, auth="ann")
        self.make_staff("fay@example.com")
        self.call("create-pairs: GET is not allowed", "GET", create, auth="fay")
        self.call("create-pairs: round 1", "POST", create, auth="fay")
        for name in ("ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal"):
            self.call(f"pairs after round 1: {name}", "GET", pairs, auth=name)
        self.call("create-pairs: round 2, with a JSON body", "POST", create, {}, auth="fay")
        for name in ("ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal"):
            self.call(f"pairs after round 2: {name}", "GET", pairs, auth=name)
        self.call("pairs: no trailing slash", "GET", "/users/api/pairs", auth="ann")
        self.call("pairs: POST is not allowed", "POST", pairs, auth="ann")
        self.call("me: fay (staff)", "GET", "/auth/users/me/", auth="fay")
        self.call("the countdown after the rounds", "GET", "/users/api/days-to-match/")

    def cors(self) -> None:
        allowed, foreign = {"Origin": ORIGIN}, {"Origin": FOREIGN_ORIGIN}
        preflight = {"Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type"}
        self.call("CORS preflight: log-in", "OPTIONS", "/api/token/",
                  headers={**allowed, **preflight})
        self.call("CORS preflight: me, PATCH with Authorization", "OPTIONS", "/auth/users/me/",
                  headers={**allowed, "Access-Control-Request-Method": "PATCH",
                           "Access-Control-Request-Headers": "authorization, content-type"})
        self.call("CORS preflight: an unknown path", "OPTIONS", "/users/api/nothing/",
                  headers={**allowed, **preflight})
        self.call("CORS preflight: from a foreign origin", "OPTIONS", "/api/token/",
                  headers={**foreign, **preflight})
        self.call("CORS preflight: no Origin", "OPTIONS", "/api/token/", headers=preflight)
        self.call("CORS: every hobby from the allowed origin", "GET", "/users/api/hobby/all/",
                  headers=allowed)
        self.call("CORS: the allowed origin with a trailing slash", "GET",
                  "/users/api/days-to-match/", headers={"Origin": ORIGIN + "/"})
        self.call("CORS: log-in from the allowed origin", "POST", "/api/token/",
                  {"email": "bob@example.com", "password": PASSWORD}, headers=allowed)
        self.call("CORS: a failed log-in from the allowed origin", "POST", "/api/token/",
                  {"email": "bob@example.com", "password": "nope-nope-7"}, headers=allowed)
        self.call("CORS: me from the allowed origin", "GET", "/auth/users/me/", auth="bob",
                  headers=allowed)
        self.call("CORS: me without a token from the allowed origin", "GET", "/auth/users/me/",
                  headers=allowed)
        self.call("CORS: a field error from the allowed origin", "PATCH", "/auth/users/me/",
                  {"birth": "never"}, auth="bob", headers=allowed)
        self.call("CORS: 405 from the allowed origin", "DELETE", "/users/api/hobby/all/",
                  headers=allowed)
        self.call("CORS: 404 from the allowed origin", "GET", "/users/api/nothing/",
                  headers=allowed)
        self.call("CORS: every hobby from a foreign origin", "GET", "/users/api/hobby/all/",
                  headers=foreign)
        self.call("CORS: log-in from a foreign origin", "POST", "/api/token/",
                  {"email": "bob@example.com", "password": PASSWORD}, headers=foreign)
        self.call("CORS: the server's own origin", "GET", "/users/api/hobby/all/",
                  headers={"Origin": self.self_origin})

    def http_errors(self) -> None:
        for method, path in (("GET", "/nope"), ("GET", "/users/api/"), ("POST", "/users/api/hobby/99/"),
                             ("GET", "/API/TOKEN/"), ("DELETE", "/users/api/register/extra/"),
                             ("GET", "/v1/users/api/hobby/all/")):
            self.call(f"404: {method} {path}", method, path)
        for method, path in (("GET", "/users/api/register/"), ("PUT", "/api/token/"),
                             ("DELETE", "/api/token/blacklist/"), ("PATCH", "/users/api/pairs/"),
                             ("POST", "/users/api/days-to-match/"), ("PUT", "/users/api/hobby/"),
                             ("DELETE", "/users/api/hobby/total/")):
            self.call(f"405: {method} {path}", method, path, auth="ann")
        self.send_head_only("413: a declared length over the limit, refused before the body",
                            "/users/api/register/", MAX_BODY + 1)
        self.send_chunked("413: a chunked body over the limit", "/users/api/register/",
                          MAX_BODY + 65536)
        self.call("431: header fields over 64 KiB", "GET", "/users/api/hobby/all/",
                  headers={"X-Filler": "a" * (70 * 1024)})
        self.call("the server still answers", "GET", "/users/api/hobby/all/")


# -- making the golden file ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(base_url: str, path: str) -> int:
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def record_checkout(checkout: pathlib.Path, mongo_url: str) -> dict:
    """Run the scenario against ``checkout``'s ``server.py`` (its own
    package first on the path) on a new database at ``mongo_url``."""
    database = f"{mongo_url.rstrip('/')}/v1_transcript_{uuid.uuid4().hex[:12]}"
    env = {k: v for k, v in os.environ.items()
           if k not in ("MONGO_URL", "JWT_SECRET", "CORS_ORIGINS", "TELEGRAM_BOT_USERNAME",
                        "SMTP_URL", "MAIL_FROM", "WEB_CLIENT_URL", "LOG_LEVEL")}
    env.update(SERVER_ENV, PYTHONPATH=str(checkout))
    with tempfile.TemporaryDirectory() as data_dir:
        port = _free_port()
        command = [sys.executable, str(checkout / "server.py"), "--port", str(port),
                   "--data-dir", data_dir, "--bcrypt-rounds", "4", "--mongo-url", database,
                   "--jwt-secret", "transcript-secret-" + "s" * 32, *SERVER_OPTIONS]
        log_path = pathlib.Path(data_dir) / "server.log"
        with open(log_path, "wb") as log:
            server = subprocess.Popen(command, cwd=checkout, env=env, stdout=log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None:
                    raise SystemExit("the server exited:\n" + log_path.read_text(errors="replace"))
                try:
                    if _status(base_url, "/users/api/days-to-match/") == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start in time")
                time.sleep(0.1)
            probe = _status(base_url, V2_PROBE)
            if probe != 404:
                raise SystemExit(f"GET {V2_PROBE} answered {probe}: this server has v2; the "
                                 "golden transcript is made from the code before v2 only")

            def make_staff(email: str) -> None:
                subprocess.run([sys.executable, "-m", "unimatch.cli", "create-admin", email,
                                "--mongo-url", database, "--data-dir", data_dir],
                               cwd=checkout, env=env, check=True, capture_output=True, timeout=60)
            records = Transcript(base_url, make_staff).run()
        finally:
            server.terminate()
            server.wait(30)
    revision = subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%H %s"],
                              capture_output=True, text=True, check=False).stdout.strip()
    return {"recorded_from": revision, "v2_probe": {"path": V2_PROBE, "status": probe},
            "requests": len(records), "transcript": records}


def main() -> None:
    parser = argparse.ArgumentParser(description="Record the v1 transcript of a checkout "
                                                 "(see this module's docstring).")
    parser.add_argument("--checkout", required=True, type=pathlib.Path,
                        help="a worktree of the code before v2 (cd2eba6^)")
    parser.add_argument("--mongo-url", required=True,
                        help="a MongoDB server; a new database is made on it")
    parser.add_argument("--output", required=True, type=pathlib.Path)
    args = parser.parse_args()
    golden = record_checkout(args.checkout.resolve(), args.mongo_url)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n")
    print(f"{golden['requests']} requests recorded from {golden['recorded_from']}")


if __name__ == "__main__":
    main()
