"""UniMatch server: ``python server.py --help`` lists every option."""

import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from unimatch.app import MAX_HEADER_BLOCK, make_app
from unimatch.clock import Clock
from unimatch.config import parse_config
from unimatch.datadir import prepare_data_dir
from unimatch.errors import StoreUnavailable
from unimatch.matching.pool import matcher_pool
from unimatch.wiring import StoreRuntime, build_realtime, build_services

logger = logging.getLogger("unimatch.server")

SHUTDOWN_GRACE = 10.0


async def main(argv: Sequence[str] | None = None) -> int:
    config = parse_config(argv)
    configure_logging(config.log_level)
    logger.info("starting with %r", config)
    # Handlers first: a SIGTERM during startup still stops everything in order.
    stop = _stop_on_signals()
    try:
        if not (config.mongo_url and config.jwt_secret):  # the data dir holds one or the other
            prepare_data_dir(config.data_dir)
        runtime = await StoreRuntime.open(config)
    except (StoreUnavailable, RuntimeError) as exc:
        logger.error("cannot start: %s", exc)
        return 1
    try:
        added = await runtime.store.hobbies.seed_defaults()
        if added:
            logger.info("seeded %d default hobbies", added)
        with matcher_pool() as pool:
            services = build_services(config, runtime.store, Clock(), pool)
            realtime = build_realtime(config, services)
            app = make_app(services, realtime)
            # Forwarded headers only from a proxy we were told is there: else
            # any client could claim any address or scheme.
            server = app.listen(config.port, config.address, xheaders=config.trust_proxy,
                                max_header_size=MAX_HEADER_BLOCK)
            await realtime.start()
            logger.info("listening on http://%s:%d/", config.address, config.port)
            await stop.wait()
            logger.info("shutting down: no new connections, finishing requests in flight")
            server.stop()
            await realtime.stop()
            await services.inflight.drain(SHUTDOWN_GRACE)
            await server.close_all_connections()
    finally:
        await runtime.close()
    logger.info("stopped")
    return 0


def configure_logging(level: str) -> None:
    """Logging for the server process: timestamps, levels and module names."""
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("pymongo").setLevel(logging.WARNING)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
