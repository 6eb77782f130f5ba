"""The service's mail, composed in Russian: a plain text part and an HTML
alternative."""

import datetime as dt
import html
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html.parser import HTMLParser

RESET_SUBJECT = "Сброс пароля"
PLACEHOLDER_DOMAIN = "invalid"  # RFC 2606: never delivered


def is_placeholder(address: str) -> bool:
    """Whether ``address`` is on a reserved ``.invalid`` domain: a stand-in
    for accounts made without an email (Telegram sign-in), never mailed."""
    domain = address.rpartition("@")[2].rstrip(".").lower()
    return domain == PLACEHOLDER_DOMAIN or domain.endswith("." + PLACEHOLDER_DOMAIN)


def ascii_address(address: str) -> str:
    """The address with its domain in ASCII (IDNA), as the SMTP envelope and
    headers carry it; our addresses' local parts are ASCII already."""
    user, _, domain = address.rpartition("@")
    return f"{user}@{domain.encode('idna').decode('ascii')}"


def reset_mail(*, to: str, link: str, site_name: str, sender: str,
               now: dt.datetime) -> EmailMessage:
    """The password reset mail for the account ``to``, carrying ``link``."""
    text = (
        "Здравствуйте!\n\n"
        f"Для аккаунта с этим адресом на сайте {site_name} запросили сброс пароля.\n\n"
        "Чтобы задать новый пароль, откройте ссылку:\n"
        f"{link}\n\n"
        f"Ваш аккаунт: {to}\n\n"
        "Если сброс просили не вы, ничего делать не нужно: пароль останется прежним.\n\n"
        "Спасибо, что вы с нами!\n"
        f"Команда {site_name}\n"
    )
    site, account, href = html.escape(site_name), html.escape(to), html.escape(link, quote=True)
    markup = (
        "<!DOCTYPE html>\n<html lang=\"ru\"><body>\n"
        "<p>Здравствуйте!</p>\n"
        f"<p>Для аккаунта с этим адресом на сайте {site} запросили сброс пароля.</p>\n"
        f"<p><a href=\"{href}\">Задать новый пароль</a></p>\n"
        f"<p>Если ссылка не открывается, скопируйте этот адрес в браузер:<br>"
        f"{html.escape(link)}</p>\n"
        f"<p>Ваш аккаунт: {account}</p>\n"
        "<p>Если сброс просили не вы, ничего делать не нужно: пароль останется прежним.</p>\n"
        f"<p>Спасибо, что вы с нами!<br>Команда {site}</p>\n"
        "</body></html>\n"
    )
    message = _message(to=to, subject=RESET_SUBJECT, site_name=site_name, sender=sender, now=now)
    # Nobody should answer it, and vacation responders should not either.
    message["Auto-Submitted"] = "auto-generated"
    _set_body(message, text, markup)
    return message


def announcement(*, to: str, subject: str, markup: str, site_name: str, sender: str,
                 now: dt.datetime) -> EmailMessage:
    """Staff's mail to everyone: their HTML, and its text for mail
    programs that show no HTML."""
    message = _message(to=to, subject=subject, site_name=site_name, sender=sender, now=now)
    _set_body(message, html_to_text(markup), markup)
    return message


def html_to_text(markup: str) -> str:
    """The readable text of an HTML fragment: tags dropped, blocks and
    ``<br>`` as line breaks, links followed by their address."""
    reader = _TextReader()
    reader.feed(markup)
    reader.close()
    text = "".join(reader.parts)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


class _TextReader(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                         "ul", "ol", "table", "blockquote", "hr"})
    _HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag == "a":
            self._links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag == "a" and self._links:
            href = self._links.pop()
            if href and href.startswith(("http://", "https://", "mailto:")):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _message(*, to: str, subject: str, site_name: str, sender: str,
             now: dt.datetime) -> EmailMessage:
    message = EmailMessage()
    sender = ascii_address(sender)
    message["From"] = Address(display_name=site_name, addr_spec=sender)
    message["To"] = ascii_address(to)
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    return message


def _set_body(message: EmailMessage, text: str, markup: str) -> None:
    # Quoted-printable: every server takes it (some refuse 8-bit bodies).
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(markup, subtype="html", cte="quoted-printable")
