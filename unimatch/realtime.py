"""The moving parts: rounds on schedule, ticks, match alerts, Telegram.

Built once at startup from the services; ``start`` schedules the periodic
work, ``stop`` undoes it in reverse."""

import dataclasses
import logging

from tornado.ioloop import PeriodicCallback

from unimatch.alerts import MatchAlerts
from unimatch.rounds import RoundService
from unimatch.telegram.notifier import TelegramNotifier, make_bot
from unimatch.ws.hub import Hub
from unimatch.ws.ticker import Ticker

logger = logging.getLogger(__name__)

ALERT_POLL_SECONDS = 1.0
OUTBOX_POLL_SECONDS = 1.0


@dataclasses.dataclass
class Realtime:
    hub: Hub
    ticker: Ticker
    alerts: MatchAlerts
    rounds: RoundService
    notifier: TelegramNotifier | None
    _callbacks: list = dataclasses.field(default_factory=list)

    async def start(self, config) -> None:
        await self.alerts.start()
        jobs = [(self.ticker.tick, config.tick_interval),
                (self.alerts.check, ALERT_POLL_SECONDS),
                (self.rounds.check, config.round_check_interval)]
        if self.notifier is not None:
            jobs.append((self.notifier.check, OUTBOX_POLL_SECONDS))
        for job, seconds in jobs:
            callback = PeriodicCallback(job, seconds * 1000)
            callback.start()
            self._callbacks.append(callback)

    async def stop(self) -> None:
        for callback in self._callbacks:
            callback.stop()
        self._callbacks.clear()
        await self.rounds.release()
        self.hub.close_all()
        if self.notifier is not None:
            await self.notifier.close()


def build_realtime(config, services, executor=None, bot=None) -> Realtime:
    """Wire the realtime parts; ``bot`` overrides the one built from the
    configuration (None and no token: notifications off)."""
    hub = Hub()
    if bot is None and config.telegram_bot_token:
        bot = make_bot(config.telegram_bot_token, config.telegram_api_url)
    if bot is None:
        logger.info("Telegram notifications off: TELEGRAM_BOT_TOKEN is not set")
    rounds = RoundService(services.store, services.schedule, services.clock, executor,
                          notify=bot is not None)
    services.rounds = rounds
    notifier = TelegramNotifier(services.store, services.clock, bot) if bot else None
    return Realtime(hub=hub, ticker=Ticker(hub, services.schedule, services.clock),
                    alerts=MatchAlerts(services.store, hub), rounds=rounds, notifier=notifier)
