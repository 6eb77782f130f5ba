"""Configuration, read once from the command line and the environment."""

import argparse
import dataclasses
import datetime as dt
import os
import unicodedata
import zoneinfo
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from unimatch.errors import FieldErrors
from unimatch.mail.smtp import SmtpServer, parse_smtp_url
from unimatch.schedule import Schedule, parse_time, parse_weekday
from unimatch.validation import email

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"


def default_data_dir() -> str:
    """Where the embedded database and the generated secret live unless
    told otherwise: the same place whichever directory the server or an
    operator command starts from (``$UNIMATCH_DATA_DIR``, else the user's
    data directory)."""
    env = os.environ
    if env.get("UNIMATCH_DATA_DIR"):
        return env["UNIMATCH_DATA_DIR"]
    base = env.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "unimatch")


@dataclasses.dataclass(frozen=True)
class Config:
    """Everything the service can be told. Secrets are kept out of ``repr``."""

    port: int = 8000
    address: str = "127.0.0.1"
    data_dir: str = dataclasses.field(default_factory=default_data_dir)
    mongo_url: str | None = dataclasses.field(default=None, repr=False)  # may hold a password
    jwt_secret: str | None = dataclasses.field(default=None, repr=False)
    match_weekday: int = 0
    match_time: dt.time = dt.time(10, 0)
    timezone: str = "Asia/Yekaterinburg"
    cors_origins: tuple[str, ...] = ()
    trust_proxy: bool = False
    tick_interval: float = 1.0
    round_check_interval: float = 5.0
    access_lifetime: int = 15 * 60
    refresh_lifetime: int = 7 * 24 * 3600
    bcrypt_rounds: int = 12
    hash_queue: int = 4
    processes: int = 1  # 0: one per core
    telegram_bot_token: str | None = dataclasses.field(default=None, repr=False)
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    telegram_bot_username: str | None = None
    log_level: str = "INFO"
    # The later API (v2) of the original service, beside v1.
    v2_prefix: str = "v2/"
    refresh_grace: int = 30
    secure_cookies: bool = True
    cookie_samesite: str = "Lax"
    # Outgoing mail (password reset, mail to everyone).
    smtp_url: str | None = dataclasses.field(default=None, repr=False)  # may hold a password
    mail_from: str | None = None
    web_client_url: str | None = None
    site_name: str = "UniMatch"
    reset_lifetime: int = 3 * 24 * 3600
    # GET /metrics: open when None, else only with this bearer token.
    metrics_token: str | None = dataclasses.field(default=None, repr=False)

    @property
    def v2_cookie_path(self) -> str:
        """Where v2's cookies go: its own paths only (``/`` when v2 is at the root)."""
        return "/" + self.v2_prefix.rstrip("/")

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def schedule(self) -> Schedule:
        return Schedule(self.match_weekday, self.match_time, self.tz)

    def smtp_server(self) -> SmtpServer | None:
        """The outgoing mail server, or None: no mail."""
        return parse_smtp_url(self.smtp_url) if self.smtp_url else None

    def mail_sender(self) -> str | None:
        """The From address of outgoing mail (``mail_from``, else the SMTP
        login), or None: this server sends no mail."""
        server = self.smtp_server()
        return None if server is None else self.mail_from or server.user


def build_parser(prog: str = "server.py") -> argparse.ArgumentParser:
    """The server's options."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="UniMatch: weekly introductions between university students.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_store_options(parser)
    add_service_options(parser)
    return parser


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """Where the data is: what the server and every operator command need."""
    env = os.environ
    group = parser.add_argument_group("store")
    group.add_argument("--data-dir", default=default_data_dir(),
                       help="directory for the embedded database and the generated JWT secret "
                            "(env UNIMATCH_DATA_DIR)")
    group.add_argument("--mongo-url", default=env.get("MONGO_URL"),
                       help="MongoDB URL (env MONGO_URL); database name from its path, "
                            "default 'unimatch'. Without it an embedded nx-27017 server is used")
    group.add_argument("--log-level", default=env.get("LOG_LEVEL", "INFO"),
                       help="logging level (env LOG_LEVEL)")


def add_timezone_option(parser: argparse._ActionsContainer) -> None:
    parser.add_argument("--timezone", default="Asia/Yekaterinburg",
                        help="service time zone (IANA name) for the schedule and dates")


def add_service_options(parser: argparse.ArgumentParser) -> None:
    """What only the running server uses (defaults from the environment)."""
    env = os.environ
    group = parser.add_argument_group("service")
    group.add_argument("--port", type=int, default=8000, help="HTTP port to listen on")
    group.add_argument("--address", default="127.0.0.1", help="address to bind")
    group.add_argument("--jwt-secret", default=env.get("JWT_SECRET"),
                       help="HS256 signing secret (env JWT_SECRET); generated once into "
                            "DATA_DIR/jwt-secret when unset")
    group.add_argument("--cors-origins", default=env.get("CORS_ORIGINS", ""),
                       help="comma-separated browser origins allowed to call the API and "
                            "open sockets (env CORS_ORIGINS; '*' allows any)")
    group.add_argument("--processes", type=int, default=1,
                       help="server processes sharing the port and the store (0: one per core); "
                            "the embedded database is started once, by the parent process")
    group.add_argument("--trust-proxy", action="store_true",
                       help="behind one reverse proxy: take the client address from the "
                            "last X-Forwarded-For entry (login throttling counts by address)")
    rounds = parser.add_argument_group("matching schedule")
    rounds.add_argument("--match-weekday", default="monday",
                        help="weekday of the weekly round (name or 0=Monday..6)")
    rounds.add_argument("--match-time", default="10:00", help="time of the weekly round, HH:MM")
    add_timezone_option(rounds)
    rounds.add_argument("--tick-interval", type=float, default=1.0,
                        help="seconds between WebSocket countdown ticks")
    rounds.add_argument("--round-check-interval", type=float, default=5.0,
                        help="seconds between checks whether a round is due")
    auth = parser.add_argument_group("authentication")
    auth.add_argument("--access-lifetime", type=int, default=15 * 60,
                      help="access token lifetime, seconds")
    auth.add_argument("--refresh-lifetime", type=int, default=7 * 24 * 3600,
                      help="refresh token lifetime, seconds")
    auth.add_argument("--bcrypt-rounds", type=int, default=12, help="bcrypt cost factor")
    auth.add_argument("--hash-queue", type=int, default=4,
                      help="password hashes (logins, registrations, resets) that may wait for a "
                           "hashing thread (one per core but one); past that they answer 503 "
                           "at once, with Retry-After")
    tg = parser.add_argument_group(
        "telegram",
        "Env TELEGRAM_BOT_TOKEN enables tg-auth verification and notifications; "
        f"env TELEGRAM_API_URL sets the Bot API base (default {DEFAULT_TELEGRAM_API_URL}).")
    v2 = parser.add_argument_group(
        "API v2", "The original service's later API, for its web client (refresh token in an "
                  "HttpOnly cookie).")
    v2.add_argument("--v2-prefix", default="v2/",
                    help="path prefix of the v2 API; '' serves it at the root, where its "
                         "api/token/... paths replace v1's")
    v2.add_argument("--refresh-grace", type=int, default=30,
                    help="seconds a rotated refresh cookie still answers with its successor "
                         "(parallel refreshes from one page load)")
    v2.add_argument("--insecure-cookies", action="store_true",
                    help="drop the Secure flag from cookies (plain-HTTP development off localhost)")
    v2.add_argument("--cookie-samesite", default="Lax", choices=("Lax", "Strict", "None"),
                    help="SameSite of v2's cookies ('None' needs Secure: a client on another site)")
    mail = parser.add_argument_group("mail", "Password reset and mail to everyone.")
    mail.add_argument("--smtp-url", default=env.get("SMTP_URL"),
                      help="outgoing mail server (env SMTP_URL): smtp://, smtp+starttls:// or "
                           "smtps:// (implicit TLS), user and password in the URL; unset: no mail")
    mail.add_argument("--mail-from", default=env.get("MAIL_FROM"),
                      help="From address (env MAIL_FROM; default the SMTP user)")
    mail.add_argument("--web-client-url", default=env.get("WEB_CLIENT_URL"),
                      help="base URL of the web client, for links in mail (env WEB_CLIENT_URL; "
                           "default this server's own page)")
    mail.add_argument("--site-name", default="UniMatch", help="the site's name in mail")
    mail.add_argument("--reset-lifetime", type=int, default=3 * 24 * 3600,
                      help="seconds a password reset link stays valid")
    parser.add_argument_group(
        "operators", "GET /healthz is open to anyone. GET /metrics is open unless env "
                     "METRICS_TOKEN is set; then it answers only 'Authorization: Bearer <token>'.")
    tg.add_argument("--telegram-bot-username", default=env.get("TELEGRAM_BOT_USERNAME"),
                    help="bot username for the browser's Telegram Login Widget "
                         "(env TELEGRAM_BOT_USERNAME)")


def config_from_args(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Config:
    """Validate parsed options into a :class:`Config`; raises ``ValueError``.
    Options a command does not offer keep :class:`Config`'s defaults."""
    env = os.environ if environ is None else environ
    given = {k: v for k, v in vars(args).items() if v is not None}
    defaults = Config()
    timezone = given.get("timezone", defaults.timezone)
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone: {timezone!r}") from exc
    bcrypt_rounds = given.get("bcrypt_rounds", defaults.bcrypt_rounds)
    if bcrypt_rounds < 4 or bcrypt_rounds > 31:
        raise ValueError("--bcrypt-rounds must be between 4 and 31")
    jwt_secret = given.get("jwt_secret") or None
    if jwt_secret and len(jwt_secret.encode()) < 32:
        raise ValueError("--jwt-secret / JWT_SECRET must be at least 32 bytes (HS256)")
    if given.get("hash_queue", 0) < 0:
        raise ValueError("--hash-queue cannot be negative")
    if given.get("processes", 1) < 0:
        raise ValueError("--processes cannot be negative (0: one per core)")
    intervals = (given.get("tick_interval", 1.0), given.get("round_check_interval", 1.0))
    if min(intervals) <= 0:
        raise ValueError("intervals must be positive")
    plain = {name: given[name] for name in (
        "port", "address", "data_dir", "tick_interval", "round_check_interval",
        "access_lifetime", "refresh_lifetime", "trust_proxy", "refresh_grace",
        "cookie_samesite", "hash_queue", "processes") if name in given}
    if given.get("cookie_samesite") == "None" and given.get("insecure_cookies"):
        raise ValueError("--cookie-samesite None needs Secure cookies (drop --insecure-cookies)")
    mail = _mail_settings(given, defaults)
    return dataclasses.replace(
        defaults, **plain,
        mongo_url=given.get("mongo_url") or None,
        jwt_secret=jwt_secret,
        match_weekday=parse_weekday(given.get("match_weekday", "monday")),
        match_time=parse_time(given.get("match_time", "10:00")),
        timezone=timezone,
        cors_origins=_split_origins(given.get("cors_origins", "")),
        bcrypt_rounds=bcrypt_rounds,
        telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN") or None,
        telegram_api_url=(env.get("TELEGRAM_API_URL") or DEFAULT_TELEGRAM_API_URL).rstrip("/"),
        telegram_bot_username=given.get("telegram_bot_username") or None,
        log_level=given.get("log_level", defaults.log_level).upper(),
        v2_prefix=_prefix(given.get("v2_prefix", defaults.v2_prefix)),
        secure_cookies=not given.get("insecure_cookies", False),
        metrics_token=env.get("METRICS_TOKEN") or None,
        **mail,
    )


def _mail_settings(given: dict, defaults: Config) -> dict:
    """The mail options, checked: a server URL that parses, a From address
    (given, or the SMTP login), a web client URL that is a site's origin and
    path, a site name that fits on a line."""
    smtp_url = given.get("smtp_url") or None
    mail_from = given.get("mail_from") or None
    if smtp_url:
        server = parse_smtp_url(smtp_url)
        sender = mail_from or server.user
        if not sender:
            raise ValueError("--mail-from / MAIL_FROM is needed when the SMTP URL has no user")
        if not _is_address(sender):
            raise ValueError(f"the From address {sender!r} is not an email address: "
                             "set --mail-from / MAIL_FROM")
    elif mail_from and not _is_address(mail_from):
        raise ValueError(f"--mail-from {mail_from!r} is not an email address")
    web_client_url = (given.get("web_client_url") or "").strip().rstrip("/") or None
    if web_client_url:
        parts = urlsplit(web_client_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
                or parts.fragment:
            raise ValueError("--web-client-url must be an http:// or https:// URL without "
                             "query or fragment")
    site_name = given.get("site_name", defaults.site_name).strip()
    if not site_name or any(unicodedata.category(c).startswith("C") for c in site_name):
        raise ValueError("--site-name must be a non-empty line of text")
    reset_lifetime = given.get("reset_lifetime", defaults.reset_lifetime)
    if reset_lifetime <= 0:
        raise ValueError("--reset-lifetime must be positive")
    return {"smtp_url": smtp_url, "mail_from": mail_from, "web_client_url": web_client_url,
            "site_name": site_name, "reset_lifetime": reset_lifetime}


def _is_address(text: str) -> bool:
    try:
        email(text)
    except FieldErrors:
        return False
    return True


def parse_config(argv: Sequence[str] | None = None, prog: str = "server.py") -> Config:
    """Parse ``argv`` into a Config, exiting with a usage message on errors."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        return config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))


def _prefix(text: str) -> str:
    """``v2``, ``/v2/`` or ``v2/`` as ``v2/``; empty stays empty (the root)."""
    text = text.strip().strip("/")
    return f"{text}/" if text else ""


def _split_origins(text: str) -> tuple[str, ...]:
    return tuple(o.strip().rstrip("/") for o in text.split(",") if o.strip())
