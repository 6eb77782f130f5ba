"""A real SMTP server on loopback (aiosmtpd), run in the test's event loop.

It keeps every message it accepts (envelope and parsed mail), checks a
login when given one, speaks STARTTLS or implicit TLS with a certificate
from a throwaway CA (trustme), and can be told to refuse: ``refuse``
answers one recipient's RCPT with a given reply, ``refuse_data`` the next
DATA; ``on_data`` runs as each message arrives (a slow server moves the
test's clock there). ``stop`` and ``start`` again take it off and back on the same port
(an outage)."""

import asyncio
import dataclasses
import email
import email.policy
import re
import ssl
import warnings
from collections.abc import Callable
from email.message import EmailMessage
from urllib.parse import quote

import trustme
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

USER = "mailer@example.com"
PASSWORD = "pa ss:w/ord@1"  # every character a URL needs escaped


@dataclasses.dataclass
class Received:
    sender: str
    recipients: list[str]
    mail: EmailMessage

    @property
    def text(self) -> str:
        return self.mail.get_body(("plain",)).get_content().replace("\r\n", "\n")

    @property
    def html(self) -> str:
        return self.mail.get_body(("html",)).get_content().replace("\r\n", "\n")

    def reset_path(self) -> str:
        """The path of the reset link in the text part."""
        [link] = re.findall(r"https?://\S+/password-reset/\S+", self.text)
        return "/password-reset/" + link.split("/password-reset/", 1)[1]


class TlsMaterial:
    """A throwaway CA and a certificate for 127.0.0.1 it signed: the
    server's context, and a client context that trusts the CA alone."""

    def __init__(self) -> None:
        self.ca = trustme.CA()
        cert = self.ca.issue_cert("127.0.0.1", "localhost")
        self.server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self.server)
        self.client = ssl.create_default_context()
        self.ca.configure_trust(self.client)


class Mailbox:
    """``security``: ``plain``, ``starttls`` or ``tls`` (implicit); with
    ``login`` the server requires AUTH as :data:`USER`."""

    def __init__(self, security: str = "plain", login: bool = False,
                 tls: TlsMaterial | None = None):
        self.security = security
        self.login = login
        self.tls = tls or (TlsMaterial() if security != "plain" else None)
        self.received: list[Received] = []
        self.refusals: dict[str, str] = {}
        self.data_refusals: list[str] = []
        self.logins: list[tuple[str, bool]] = []
        self.on_data: Callable[[], None] | None = None  # called as each message arrives
        self.port = 0
        self._server: asyncio.base_events.Server | None = None

    @property
    def url(self) -> str:
        scheme = {"plain": "smtp", "starttls": "smtp+starttls", "tls": "smtps"}[self.security]
        credentials = f"{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@" if self.login else ""
        return f"{scheme}://{credentials}127.0.0.1:{self.port}"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol, "127.0.0.1", self.port,
            ssl=self.tls.server if self.security == "tls" else None)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def refuse(self, address: str, reply: str) -> None:
        self.refusals[address] = reply

    def refuse_data(self, reply: str) -> None:
        self.data_refusals.append(reply)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]

    def _protocol(self) -> SMTP:
        options: dict = {"hostname": "mailbox.test"}  # no DNS lookup of our own name
        if self.security == "starttls":
            options.update(tls_context=self.tls.server, require_starttls=True)
        if self.login:
            # aiosmtpd cannot tell implicit TLS from plain text: it asks for
            # STARTTLS before AUTH unless told not to, and warns when told.
            options.update(authenticator=self._authenticate, auth_required=True,
                           auth_require_tls=self.security == "starttls")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS",
                                    UserWarning)
            return SMTP(_Handler(self), **options)

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        good = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
                and auth_data.password == PASSWORD.encode())
        self.logins.append((mechanism, good))
        return AuthResult(success=good, handled=False)


class _Handler:
    def __init__(self, box: Mailbox):
        self.box = box

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.box.refusals:
            return self.box.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.box.data_refusals:
            return self.box.data_refusals.pop(0)
        if self.box.on_data is not None:
            self.box.on_data()
        mail = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.box.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), mail))
        return "250 OK: queued"
