"""All wiring, in one place: the server and the operator commands build
every object here at startup, each one complete when it is handed out.

- :class:`StoreRuntime`: the open store and, without MONGO_URL, the
  embedded database child behind it;
- :func:`build_services`: what handlers use (:class:`Services`);
- :func:`build_realtime`: the socket hub, ticks, match alerts, Telegram
  delivery and the periodic jobs that drive them (:class:`Realtime`)."""

import concurrent.futures
import dataclasses
import logging
from urllib.parse import urlsplit, urlunsplit

from unimatch.alerts import MatchAlerts
from unimatch.auth.passwords import PasswordHasher
from unimatch.auth.secret import load_or_create_secret
from unimatch.auth.sessions import RevocationPurge
from unimatch.auth.tokens import TokenService
from unimatch.clock import Clock
from unimatch.config import Config
from unimatch.jobs import Every, PeriodicJobs
from unimatch.origins import Origins
from unimatch.rounds import RoundService
from unimatch.services import InFlight, Services
from unimatch.store import Store
from unimatch.store.embedded import EmbeddedMongo, running_url
from unimatch.telegram.notices import round_notices
from unimatch.telegram.notifier import TelegramNotifier, make_bot
from unimatch.ws.hub import Hub
from unimatch.ws.ticker import Ticker

logger = logging.getLogger(__name__)

ALERT_POLL_SECONDS = 1.0
OUTBOX_POLL_SECONDS = 1.0
REVOCATION_PURGE_SECONDS = 3600.0


class StoreRuntime:
    """The open store and, without MONGO_URL, the embedded child behind it."""

    def __init__(self, store: Store, embedded: EmbeddedMongo | None):
        self.store = store
        self.embedded = embedded

    @classmethod
    async def open(cls, config: Config, share_embedded: bool = False) -> "StoreRuntime":
        """Connect to ``config.mongo_url``, or start the embedded server.

        ``share_embedded``: an operator command first looks for an embedded
        server that a running service already started on the same data dir."""
        if config.mongo_url:
            store = await Store.connect(config.mongo_url)
            logger.info("store: MongoDB at %s (database %s)", _redact(config.mongo_url), store.db.name)
            return cls(store, None)
        if share_embedded:
            url = await running_url(config.data_dir)
            if url:
                store = await Store.connect(url)
                logger.info("store: the running service's embedded nx-27017 at %s", url)
                return cls(store, None)
        embedded = EmbeddedMongo(config.data_dir)
        url = await embedded.start()
        try:
            store = await Store.connect(url)
        except BaseException:
            embedded.stop()
            raise
        logger.info("store: embedded nx-27017 at %s (data in %s)", url, embedded.data_dir)
        return cls(store, embedded)

    async def close(self) -> None:
        await self.store.close()
        if self.embedded is not None:
            self.embedded.stop()


def build_services(config: Config, store: Store, clock: Clock,
                   matcher: concurrent.futures.Executor | None = None) -> Services:
    """Everything a handler may use. ``matcher`` runs the matcher (the
    server's process pool; None: a thread of the loop's default executor)."""
    secret = config.jwt_secret or load_or_create_secret(config.data_dir)
    rounds = build_rounds(config, store, clock, matcher)
    return Services(
        config=config,
        store=store,
        clock=clock,
        schedule=rounds.schedule,
        tokens=TokenService(secret, clock, config.access_lifetime, config.refresh_lifetime),
        hasher=PasswordHasher(config.bcrypt_rounds),
        rounds=rounds,
        origins=Origins(config.cors_origins),
        inflight=InFlight(),
    )


def build_rounds(config: Config, store: Store, clock: Clock,
                 matcher: concurrent.futures.Executor | None = None) -> RoundService:
    """The round runner, queueing Telegram notices when ``telegram.notices`` says so."""
    return RoundService(store, config.schedule(), clock, matcher,
                        notices=round_notices(config, store, clock))


@dataclasses.dataclass(frozen=True)
class Realtime:
    """The moving parts: ``start`` runs the periodic jobs, ``stop`` undoes
    everything in reverse."""

    hub: Hub
    ticker: Ticker
    alerts: MatchAlerts
    rounds: RoundService
    notifier: TelegramNotifier | None
    jobs: PeriodicJobs

    async def start(self) -> None:
        await self.alerts.start()
        self.jobs.start()

    async def stop(self) -> None:
        self.jobs.stop()
        await self.rounds.release()
        self.hub.close_all()
        if self.notifier is not None:
            await self.notifier.close()


def build_realtime(config: Config, services: Services) -> Realtime:
    """Wire the realtime parts. Telegram delivery runs when rounds queue
    notices (``telegram.notices`` decides)."""
    hub = Hub()
    ticker = Ticker(hub, services.schedule, services.clock)
    alerts = MatchAlerts(services.store, hub)
    notifier = None
    if services.rounds.notices is not None and config.telegram_bot_token:
        bot = make_bot(config.telegram_bot_token, config.telegram_api_url)
        notifier = TelegramNotifier(services.store, services.clock, bot)
    else:
        logger.info("Telegram notifications off: TELEGRAM_BOT_TOKEN is not set")
    schedule = [Every(ticker.tick, config.tick_interval),
                Every(alerts.check, ALERT_POLL_SECONDS),
                Every(services.rounds.check, config.round_check_interval),
                Every(RevocationPurge(services.store, services.clock).check, REVOCATION_PURGE_SECONDS)]
    if notifier is not None:
        schedule.append(Every(notifier.check, OUTBOX_POLL_SECONDS))
    return Realtime(hub=hub, ticker=ticker, alerts=alerts, rounds=services.rounds,
                    notifier=notifier, jobs=PeriodicJobs(schedule))


def _redact(url: str) -> str:
    """The URL without credentials, for logs."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
