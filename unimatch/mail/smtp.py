"""The outgoing mail server: its URL, and a connection to it with the
standard library's ``smtplib`` (blocking: callers run it in a thread).

Failures come out as one of three kinds, which decide what happens to the
message: :class:`Refused` (a permanent 5xx answer about this message:
drop it), :class:`Deferred` (a temporary 4xx answer about it: try it again
later) and :class:`Unreachable` (the server cannot be used now: network,
TLS, a refused login, a server closing down; every message waits)."""

import dataclasses
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

TIMEOUT = 30.0
#: URL scheme: (how the connection is secured, the usual port).
SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}
# Answers that are about the server or our login, not about the message.
_SERVER_CODES = frozenset({421, 530, 534, 535, 538})


@dataclasses.dataclass(frozen=True)
class SmtpServer:
    """Where mail goes: ``security`` is ``plain``, ``starttls`` or ``tls``
    (implicit TLS from the first byte). The password stays out of ``repr``."""

    host: str
    port: int
    security: str
    user: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://``, ``smtp+starttls://`` or ``smtps://``, with an optional
    ``user:password@`` (percent-encoded) and port. Raises ``ValueError``
    with a message that never repeats the URL (it may hold a password)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError("the SMTP URL must start with smtp://, smtp+starttls:// or smtps://")
    security, default_port = SCHEMES[scheme]
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the SMTP URL's port is not a port number") from None
    if not parts.hostname:
        raise ValueError("the SMTP URL names no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("the SMTP URL takes no path, query or fragment")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not user:
        raise ValueError("the SMTP URL has a password but no user")
    return SmtpServer(parts.hostname, port or default_port, security, user, password)


class Refused(Exception):
    """The server refused this message for good (a 5xx answer)."""


class Deferred(Exception):
    """The server refused this message for now (a 4xx answer)."""


class Unreachable(Exception):
    """The server cannot be used now; nothing about the message."""


class SmtpConnection:
    """One session with the server: opened on first use, reused for the
    messages that follow, closed by :meth:`close`. Every method blocks."""

    def __init__(self, server: SmtpServer, tls: ssl.SSLContext | None = None,
                 timeout: float = TIMEOUT):
        self.server = server
        # Certificates are checked against the system's roots (or the
        # context a caller passes, e.g. one that trusts a private CA).
        self._tls = tls or ssl.create_default_context()
        self._timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    @property
    def is_open(self) -> bool:
        return self._smtp is not None

    def send(self, message: EmailMessage, sender: str, recipient: str) -> None:
        """Send ``message`` to one ``recipient`` with the envelope
        ``sender``; raises :class:`Refused`, :class:`Deferred` or
        :class:`Unreachable` (the session is then closed)."""
        try:
            smtp = self._smtp or self._open()
            smtp.send_message(message, sender, [recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            # One recipient, so one answer; smtplib reset the session, which stays usable.
            code, text = next(iter(exc.recipients.values()))
            raise self._verdict(code, text) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise self._verdict(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise Unreachable(_describe(exc)) from None

    def close(self) -> None:
        """End the session, politely when the server still listens."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _open(self) -> smtplib.SMTP:
        server = self.server
        smtp: smtplib.SMTP
        if server.security == "tls":
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=self._timeout,
                                    context=self._tls)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=self._timeout)
        try:
            if server.security == "starttls":
                smtp.starttls(context=self._tls)
            if server.user:
                smtp.login(server.user, server.password or "")
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def _verdict(self, code: int, text: bytes | str) -> Exception:
        answer = _describe_answer(code, text)
        if code in _SERVER_CODES:
            self.close()
            return Unreachable(answer)
        return Refused(answer) if 500 <= code < 600 else Deferred(answer)


def _describe_answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _describe_answer(exc.smtp_code, exc.smtp_error)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
