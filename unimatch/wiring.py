"""All wiring, in one place: the server and the operator commands build
every object here at startup, each one complete when it is handed out.

- :class:`StoreRuntime`: the open store and, without MONGO_URL, the
  embedded database child behind it;
- :func:`build_services`: what handlers use (:class:`Services`);
- :func:`build_realtime`: the socket hub, ticks, match alerts, Telegram
  and mail delivery and the periodic jobs that drive them (:class:`Realtime`)."""

import concurrent.futures
import dataclasses
import logging
import os
from urllib.parse import urlsplit, urlunsplit

from prometheus_client import CollectorRegistry

from unimatch.alerts import MatchAlerts
from unimatch.auth.passwords import PasswordHasher, hashing_workers, start_hashing_thread
from unimatch.auth.reset import PasswordReset, ResetTokens
from unimatch.auth.secret import load_or_create_secret
from unimatch.auth.throttle import LoginThrottle
from unimatch.auth.tokens import TokenService
from unimatch.clock import Clock
from unimatch.config import Config
from unimatch.errors import NoDatabase
from unimatch.jobs import CachedState, Every, ExpiredPurge, PeriodicJobs
from unimatch.mail.queue import MailQueue
from unimatch.mail.sender import MailSender
from unimatch.mail.smtp import SmtpConnection
from unimatch.metrics import Metrics
from unimatch.monitoring import LoopMonitor
from unimatch.origins import Origins, is_loopback_host
from unimatch.rounds import RoundService
from unimatch.services import InFlight, Services
from unimatch.store import DEFAULT_DB_NAME, Store
from unimatch.store.embedded import EmbeddedMongo, holds_database, running_url
from unimatch.telegram.bot import TelegramBot, build_application
from unimatch.telegram.conversation import Conversation
from unimatch.telegram.notices import round_notices
from unimatch.telegram.notifier import TelegramNotifier, make_bot
from unimatch.ws.collector import Collector
from unimatch.ws.hub import Hub
from unimatch.ws.ticker import Ticker

logger = logging.getLogger(__name__)

ALERT_POLL_SECONDS = 1.0
OUTBOX_POLL_SECONDS = 1.0
MAIL_POLL_SECONDS = 1.0
# How stale hobby names and the latest round may be after another process
# changed them; each check is a read or two.
CACHE_CHECK_SECONDS = 1.0
PURGE_SECONDS = 3600.0
BOT_ROLE_SECONDS = 1.0
COLLECT_SECONDS = 1.0  # short collections of what is new (ws/collector.py)


class StoreRuntime:
    """The open store and, without MONGO_URL, the embedded child behind it.
    ``description`` says which store it is, for logs and operators."""

    def __init__(self, store: Store, embedded: EmbeddedMongo | None, description: str):
        self.store = store
        self.embedded = embedded
        self.description = description

    @classmethod
    async def open(cls, config: Config, share_embedded: bool = False,
                   create: bool = True) -> "StoreRuntime":
        """Connect to ``config.mongo_url``, or start the embedded server.

        ``share_embedded``: an operator command first looks for an embedded
        server that a running service already started on the same data dir.
        ``create`` False: refuse (:class:`NoDatabase`) to start an embedded
        database where there is none yet, rather than make an empty one."""
        if config.mongo_url:
            store = await Store.connect(config.mongo_url)
            return cls._opened(store, None, f"MongoDB at {_redact(config.mongo_url)} "
                                            f"(database {store.db.name})")
        data_dir = os.path.abspath(config.data_dir)
        if share_embedded:
            url = await running_url(data_dir)
            if url:
                store = await Store.connect(url)
                return cls._opened(store, None, f"the running server's embedded nx-27017 "
                                                f"in {data_dir}")
        if not create and not holds_database(data_dir, DEFAULT_DB_NAME):
            raise NoDatabase(data_dir)
        embedded = EmbeddedMongo(data_dir)
        url = await embedded.start()
        try:
            store = await Store.connect(url)
        except BaseException:
            embedded.stop()
            raise
        # The child comes back on the same socket path, where the client
        # finds it again: no new client, no lost handles.
        embedded.supervise()
        return cls._opened(store, embedded, f"embedded nx-27017 in {data_dir}")

    @classmethod
    def _opened(cls, store: Store, embedded: EmbeddedMongo | None,
                description: str) -> "StoreRuntime":
        logger.info("store: %s", description)
        return cls(store, embedded, description)

    async def close(self) -> None:
        await self.store.close()
        if self.embedded is not None:
            self.embedded.stop()


def build_services(config: Config, store: Store, clock: Clock,
                   matcher: concurrent.futures.Executor | None = None) -> Services:
    """Everything a handler may use. ``matcher`` runs the matcher (the
    server's process pool; None: a thread of the loop's default executor)."""
    secret = config.jwt_secret or load_or_create_secret(config.data_dir)
    metrics = build_metrics()
    rounds = build_rounds(config, store, clock, matcher, metrics)
    hasher = build_hasher(config, metrics)
    mail = MailQueue(store, clock) if config.mail_sender() else None
    # The reset links' key is derived from the secret; the secret itself
    # goes to the token service alone.
    reset_tokens = ResetTokens.from_secret(secret, clock, config.reset_lifetime)
    return Services(
        config=config,
        store=store,
        clock=clock,
        schedule=rounds.schedule,
        tokens=TokenService(secret, clock, config.access_lifetime, config.refresh_lifetime),
        hasher=hasher,
        rounds=rounds,
        login_throttle=LoginThrottle(store, clock),
        origins=Origins(config.cors_origins),
        inflight=InFlight(),
        reset=PasswordReset(store, clock, hasher, reset_tokens, mail,
                            web_client_url=config.web_client_url, trusted=config.cors_origins),
        mail=mail,
        metrics=metrics,
    )


def build_metrics() -> Metrics:
    """The service's series in a registry of their own (shared through
    PROMETHEUS_MULTIPROC_DIR's files when the parent of several worker
    processes set it)."""
    return Metrics(CollectorRegistry())


def build_hasher(config: Config, metrics: Metrics | None = None) -> PasswordHasher:
    """bcrypt on threads of its own, one per core but one (the event loop's),
    running at a lower priority, with room for ``config.hash_queue`` hashes
    waiting for them."""
    workers = hashing_workers(_cpus())
    pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="bcrypt",
                                                 initializer=start_hashing_thread)
    return PasswordHasher(config.bcrypt_rounds, pool, capacity=workers + config.hash_queue,
                          metrics=metrics)


def _cpus() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def build_rounds(config: Config, store: Store, clock: Clock,
                 matcher: concurrent.futures.Executor | None = None,
                 metrics: Metrics | None = None) -> RoundService:
    """The round runner, queueing Telegram notices when ``telegram.notices`` says so."""
    return RoundService(store, config.schedule(), clock, matcher,
                        notices=round_notices(config, store, clock), metrics=metrics)


@dataclasses.dataclass(frozen=True)
class Realtime:
    """The moving parts: ``start`` runs the periodic jobs, ``stop`` undoes
    everything in reverse."""

    hub: Hub
    ticker: Ticker
    alerts: MatchAlerts
    rounds: RoundService
    notifier: TelegramNotifier | None
    bot: TelegramBot | None
    mail_sender: MailSender | None
    jobs: PeriodicJobs
    cached: CachedState
    collector: Collector
    monitor: LoopMonitor

    async def start(self) -> None:
        """Start the jobs; the bot's job starts it polling once this
        process holds the Telegram sender role."""
        await self.alerts.start()
        await self.cached.check()  # loaded before the first request needs it
        self.collector.start()  # after startup: what it built is frozen
        self.jobs.start()
        self.monitor.start()

    async def stop(self) -> None:
        self.monitor.stop()
        self.jobs.stop()
        await self.rounds.release()
        self.hub.close_all()
        # The bot first: it polls only while the notifier holds the role.
        if self.bot is not None:
            await self.bot.close()
        if self.notifier is not None:
            await self.notifier.close()
        if self.mail_sender is not None:
            await self.mail_sender.close()
        self.collector.stop()


def build_realtime(config: Config, services: Services) -> Realtime:
    """Wire the realtime parts. Telegram delivery runs when rounds queue
    notices (``telegram.notices`` decides)."""
    metrics = services.metrics
    hub = Hub(metrics)
    ticker = Ticker(hub, services.schedule, services.clock, metrics, config.tick_interval)
    alerts = MatchAlerts(services.store, hub)
    notifier = bot = None
    if services.rounds.notices is not None and config.telegram_bot_token:
        notifier = TelegramNotifier(services.store, services.clock,
                                    make_bot(config.telegram_bot_token, config.telegram_api_url),
                                    metrics=metrics)
        bot = build_bot(config, services, notifier)
    else:
        logger.info("Telegram notifications and bot off: TELEGRAM_BOT_TOKEN is not set")
    cached = CachedState(services.store)
    collector = Collector(hub)
    schedule = [Every(ticker.tick, config.tick_interval),
                Every(collector.check, COLLECT_SECONDS),
                Every(alerts.check, ALERT_POLL_SECONDS),
                Every(cached.check, CACHE_CHECK_SECONDS),
                Every(services.rounds.check, config.round_check_interval),
                Every(ExpiredPurge(services.store, services.clock).check, PURGE_SECONDS)]
    if notifier is not None:
        schedule.append(Every(notifier.check, OUTBOX_POLL_SECONDS))
    if bot is not None:
        schedule.append(Every(bot.check, BOT_ROLE_SECONDS))
    mail_sender = build_mail_sender(config, services)
    if mail_sender is not None:
        schedule.append(Every(mail_sender.check, MAIL_POLL_SECONDS))
    return Realtime(hub=hub, ticker=ticker, alerts=alerts, rounds=services.rounds,
                    notifier=notifier, bot=bot, mail_sender=mail_sender,
                    jobs=PeriodicJobs(schedule), cached=cached, collector=collector,
                    monitor=LoopMonitor(metrics))


def build_bot(config: Config, services: Services, notifier: TelegramNotifier) -> TelegramBot:
    """The two-way bot, polling where ``notifier`` holds the sender role."""
    token = config.telegram_bot_token or ""
    conversation = Conversation(services.store, services.clock, services.schedule)
    return TelegramBot(lambda: build_application(token, config.telegram_api_url, conversation),
                       notifier, services.clock)


def build_mail_sender(config: Config, services: Services) -> MailSender | None:
    """The mail outbox's sender, or None without an SMTP server."""
    server = config.smtp_server()
    sender = config.mail_sender()
    if server is None or sender is None:
        logger.info("mail off: SMTP_URL is not set (password reset links cannot be asked for)")
        return None
    logger.info("mail goes through %s:%d (%s) from %s", server.host, server.port,
                server.security, sender)
    if server.security == "plain" and server.password and not is_loopback_host(server.host):
        logger.warning("the SMTP password crosses the network in clear text: use "
                       "smtp+starttls:// or smtps://")
    return MailSender(services.store, services.clock, SmtpConnection(server), sender=sender,
                      site_name=config.site_name, tokens=services.reset.tokens,
                      metrics=services.metrics)


def _redact(url: str) -> str:
    """The URL without credentials, for logs."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
