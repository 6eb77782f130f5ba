"""``docs/openapi.yaml`` agrees with the server: schemathesis (pinned in
setup.cfg) runs a bounded, seeded set of cases against ``server.py`` on
loopback with every check it has. A 500, an answer the document does not
describe, a request it allows refused or one it forbids accepted fails."""

import pathlib
import re
import subprocess
import sys

from conftest import NO_TELEGRAM, TEST_BOT_TOKEN
from harness import clean_env

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
