"""UniMatch server: ``python server.py --help`` lists every option."""

import asyncio
import functools
import logging
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Sequence

from tornado.httpserver import HTTPServer

from unimatch.app import MAX_HEADER_BLOCK, make_app
from unimatch.auth.secret import load_or_create_secret
from unimatch.clock import Clock
from unimatch.config import Config, parse_config
from unimatch.datadir import prepare_data_dir
from unimatch.errors import StoreUnavailable
from unimatch.matching.pool import matcher_pool
from unimatch.metrics import forget_worker
from unimatch.processes import (
    METRICS_DIR_ENV,
    Workers,
    inherited_sockets,
    process_count,
    stop_with_parent,
)
from unimatch.wiring import StoreRuntime, build_realtime, build_services

logger = logging.getLogger("unimatch.server")

SHUTDOWN_GRACE = 10.0
SCRIPT = os.path.abspath(__file__)


async def main(argv: Sequence[str] | None = None) -> int:
    config = parse_config(argv)
    # A worker of --processes N serves on the sockets its parent bound.
    sockets = inherited_sockets()
    count = 1 if sockets is not None else process_count(config)
    configure_logging(config.log_level, with_pid=sockets is not None or count > 1)
    logger.info("starting with %r", config)
    # Handlers first: a SIGTERM during startup still stops everything in order.
    stop = _stop_on_signals()
    if sockets is not None:
        stop_with_parent(stop)
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
        if count > 1:
            code = await _run_workers(config, runtime, count, argv, stop)
        else:
            code = await _serve(config, runtime, sockets, stop)
    finally:
        await runtime.close()
    logger.info("stopped")
    return code


async def _serve(config: Config, runtime: StoreRuntime, sockets: list[socket.socket] | None,
                 stop: asyncio.Event) -> int:
    """One server process: on ``sockets`` (a worker's), else on the configured port."""
    with matcher_pool() as pool:
        services = build_services(config, runtime.store, Clock(), pool)
        realtime = build_realtime(config, services)
        app = make_app(services, realtime)
        # Forwarded headers only from a proxy we were told is there: else
        # any client could claim any address or scheme.
        server = HTTPServer(app, xheaders=config.trust_proxy, max_header_size=MAX_HEADER_BLOCK)
        if sockets is None:
            server.listen(config.port, config.address)
        else:
            server.add_sockets(sockets)
        await realtime.start()
        logger.info("listening on http://%s:%d/", config.address, config.port)
        await stop.wait()
        logger.info("shutting down: no new connections, finishing requests in flight")
        server.stop()
        await realtime.stop()
        await services.inflight.drain(SHUTDOWN_GRACE)
        await server.close_all_connections()
    return 0


async def _run_workers(config: Config, runtime: StoreRuntime, count: int,
                       argv: Sequence[str] | None, stop: asyncio.Event) -> int:
    """The parent of ``count`` workers (``unimatch/processes.py``) on the
    store opened here, until ``stop``."""
    if await runtime.store.is_ferretdb():
        logger.warning("FerretDB 1.x applies no update atomically: with several processes, "
                       "leases and edits can race there (README, Known limits); run one")
    if not config.jwt_secret:
        load_or_create_secret(config.data_dir)  # made once, here, not raced by the workers
    env = dict(os.environ)
    if runtime.embedded is not None:
        env["MONGO_URL"] = runtime.embedded.url
    with tempfile.TemporaryDirectory(prefix="unimatch-metrics-") as metrics:
        env[METRICS_DIR_ENV] = metrics
        command = [sys.executable, SCRIPT, *(sys.argv[1:] if argv is None else argv)]
        try:
            # A worker that exits stops counting in the live gauges' sums.
            workers = Workers(config, count, command, env,
                              on_exit=functools.partial(forget_worker, directory=metrics))
        except OSError as exc:
            logger.error("cannot listen on %s:%d: %s", config.address, config.port, exc)
            return 1
        logger.info("%d workers on http://%s:%d/", count, config.address, workers.port)
        await workers.run(stop)
    return 0


def configure_logging(level: str, with_pid: bool = False) -> None:
    """Logging for the server process: timestamps, levels and module names
    (and which process, when there are several)."""
    pid = " [%(process)d]" if with_pid else ""
    logging.basicConfig(level=level, stream=sys.stderr,
                        format=f"%(asctime)s{pid} %(levelname)s %(name)s: %(message)s")
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
