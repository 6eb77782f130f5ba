"""``docs/openapi.yaml`` agrees with the server: schemathesis (pinned in
setup.cfg) runs a bounded, seeded set of cases against ``server.py`` on
loopback with every check it has. A 500, an answer the document does not
describe, a request it allows refused or one it forbids accepted fails.
v2's successful cookie sessions, which generated requests cannot reach, are
checked against the document by a real session."""

import pathlib
import re
import subprocess
import sys
import time

import httpx
import jsonschema_rs
import yaml
from conftest import NO_TELEGRAM, TEST_BOT_TOKEN
from harness import clean_env

from unimatch.telegram.login import sign_login

HERE = pathlib.Path(__file__).resolve().parent
CONFIG = HERE / "schemathesis.toml"
# The same cases every run (change the seed to explore); per operation and
# phase, which makes a few hundred requests in all.
SEED = 1
MAX_EXAMPLES = 20
NO_SMTP = "smtp://127.0.0.1:9"


def test_the_server_agrees_with_its_openapi_document(start_server, tmp_path):
    # A bot token makes tg-auth check signatures (400) instead of answering
    # 503, and with a bot username tg-link-code gives codes; an SMTP server
    # (on a loopback port nobody listens on: mail waits in the outbox) lets
    # the mail endpoints queue instead of answering 503.
    server = start_server("--smtp-url", NO_SMTP, "--mail-from", "noreply@unimatch.test",
                          "--telegram-bot-username", "unimatch_test_bot",
                          env={"TELEGRAM_BOT_TOKEN": TEST_BOT_TOKEN,
                               "TELEGRAM_API_URL": NO_TELEGRAM})
    token = server.register("staff@example.com", "correct-horse-7")["access"]
    assert server.cli("create-admin", "staff@example.com").returncode == 0  # create-pairs runs

    result = subprocess.run(
        [str(pathlib.Path(sys.executable).with_name("schemathesis")), "--no-color",
         "--config-file", str(CONFIG), "run", server.url + "/api/schema/", "--checks", "all",
         "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES),
         "--header", f"Authorization: Bearer {token}"],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=300, check=False)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-20000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", report)
    assert counts and counts[1] == counts[2] and int(counts[1]) >= 200, report[-5000:]
    assert "Uncaught exception" not in server.log and "tornado.access: 500" not in server.log



# -- what generated requests cannot reach -------------------------------------------
#
# Schemathesis has no session cookie, no signed Telegram payload and no linked
# chat, so it sees v2's cookie endpoints refuse and never succeed. A real
# session goes through them here; every answer must have a status the
# document gives for it, the headers it requires and a body its schema allows.

DOCUMENT = HERE.parent / "docs" / "openapi.yaml"
PASSWORD = "correct-horse-7"


class DocumentedClient:
    """Requests to ``server`` from its own origin, each answer checked against
    ``docs/openapi.yaml`` (with jsonschema-rs, as schemathesis checks them),
    and a jar that keeps the cookies the server sets (Secure ones too)."""

    def __init__(self, server):
        self.document = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
        self.client = httpx.Client(base_url=server.url, headers={"Origin": server.url})
        self.jar: dict[str, str] = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.client.close()

    def call(self, method, path, body=None, *, template=None, token=None, cookies=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        jar = self.jar if cookies is None else cookies
        if jar:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        answer = self.client.request(method, path, json=body, headers=headers)
        for raw in answer.headers.get_list("set-cookie"):
            name, _, rest = raw.partition("=")
            if "Max-Age=0" in raw:
                self.jar.pop(name, None)
            else:
                self.jar[name] = rest.split(";")[0]
        self._check(method, template or path, answer)
        return answer.status_code, answer.json()

    def _check(self, method, template, answer):
        where = (method, template, answer.status_code)
        documented = self.document["paths"][template][method.lower()]["responses"]
        assert str(answer.status_code) in documented, where
        response = self._resolve(documented[str(answer.status_code)])
        for name, header in (response.get("headers") or {}).items():
            if self._resolve(header).get("required"):
                assert name in answer.headers, (*where, name)
        schema = response["content"]["application/json"]["schema"]
        validator = jsonschema_rs.Draft202012Validator({**self.document, "allOf": [schema]})
        errors = [error.message for error in validator.iter_errors(answer.json())]
        assert not errors, (*where, errors, answer.text)

    def _resolve(self, node):
        while "$ref" in node:
            target = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node


def test_v2_sessions_answer_as_documented(start_server):
    server = start_server(env={"TELEGRAM_BOT_TOKEN": TEST_BOT_TOKEN,
                               "TELEGRAM_API_URL": NO_TELEGRAM})
    staff = server.register("staff@example.com", PASSWORD)["access"]
    assert server.cli("create-admin", "staff@example.com").returncode == 0
    with DocumentedClient(server) as browser:
        _go_through_v2(browser, staff, server)


def _go_through_v2(browser, staff, server):
    v2 = "/v2/api/"

    status, body = browser.call("POST", v2 + "register/", {
        "email": "ann@example.com", "password": PASSWORD, "first_name": "Анна",
        "birth": "2001-05-20", "hobby": [1, 2], "tg_link": "@anna_v2", "confirmPassword": PASSWORD})
    assert status == 201 and "refresh_token" in browser.jar
    access = body["access"]
    assert browser.call("GET", v2 + "auth/users/me/", token=access)[0] == 200
    assert browser.call("PATCH", v2 + "update/user/", {"tg_link": ""}, token=access)[0] == 200
    assert browser.call("POST", v2 + "token/", {"email": "ANN@example.com",
                                                 "password": PASSWORD})[0] == 200

    rotated = dict(browser.jar)
    assert browser.call("POST", v2 + "token/refresh/")[0] == 200
    assert browser.call("POST", v2 + "token/refresh/", cookies=rotated)[0] == 200, "grace"
    assert browser.call("POST", v2 + "token/verify/", {"token": access})[0] == 200
    assert browser.call("POST", v2 + "token/verify/", {"token": rotated["refresh_token"]})[0] == 400
    assert browser.call("POST", v2 + "token/blacklist/") == (200, {"signout": "Вы вышли из системы"})
    assert "refresh_token" not in browser.jar
    assert browser.call("POST", v2 + "token/blacklist/", cookies=rotated)[0] == 400
    assert browser.call("POST", v2 + "token/refresh/", cookies=rotated)[0] == 401

    clock = time.time()
    payload = sign_login({"id": 4242, "first_name": "Тимур", "auth_date": int(clock)},
                         TEST_BOT_TOKEN)
    status, body = browser.call("POST", v2 + "tg-auth/", payload)
    assert status == 200 and {"access_token", "refresh_token"} <= set(browser.jar)
    assert browser.call("GET", v2 + "access/httponly/") == (200, {"access": browser.jar["access_token"]})
    status, user = browser.call("GET", v2 + "user-by-chat-id/4242/", token=staff,
                                template="/v2/api/user-by-chat-id/{chat_id}/")
    assert (status, user["chat_id"]) == (200, "4242")

    for i in range(2):
        server.register(f"s{i}@example.com", PASSWORD, hobby=[2])
    for _ in range(2):  # an earlier round and a current one
        assert browser.call("POST", "/v2/admin-api/create-pairs/", token=staff)[0] == 201
    status, pairs = browser.call("GET", v2 + "pairs/", token=access)
    assert status == 200 and pairs["current_pair"] and pairs["pairs"]
