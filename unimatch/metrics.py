"""What operators watch, in Prometheus' terms: every series the service
exposes at ``GET /metrics``, and the one place that knows
``prometheus_client``.

The parts of the service are handed a :class:`Metrics` at startup and
report what happens in their own words (a request finished, a round was
made); this module turns that into counters, gauges and histograms.

One process: the series live in a :class:`CollectorRegistry` built at
startup and are exposed from it. Several (``--processes N``): the parent
sets ``PROMETHEUS_MULTIPROC_DIR`` to a private directory; each worker
writes its values to files there, and whichever worker answers a scrape
adds up every worker's files. Gauges say how: open sockets and hashes in
hand are summed over live workers, figures every worker reads alike from
the store (outbox depths) take the latest, the last round's size too."""

import logging
import os
from typing import Literal

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The text format every Prometheus reads (our names need nothing newer).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

# Request latency: from a cached GET (a millisecond) to a hash under load.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Loop lag, tick lag and spread: 50 ms is the stall the service must stay under.
_LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# A round: milliseconds for a handful of people, minutes for 100,000.
_ROUND_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

#: The outbox channels and what can go wrong while delivering.
Channel = Literal["telegram", "mail"]
Failure = Literal["refused", "retried", "gave_up", "unreachable"]


def multiprocess_dir() -> str | None:
    """The directory workers share their figures through, or None: one process."""
    return os.environ.get(MULTIPROC_ENV) or None


class Metrics:
    """The service's series, registered in ``registry`` (a fresh one when
    None: each app its own, so tests may build many in one process)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.multiprocess = multiprocess_dir() is not None
        if self.multiprocess:
            _write_values_to_files()
        r = self.registry
        self.requests = Counter("unimatch_http_requests", "HTTP requests answered, by route "
                                "pattern, method and status", ["route", "method", "status"],
                                registry=r)
        self.latency = Histogram("unimatch_http_request_duration_seconds", "Time to answer an "
                                 "HTTP request, by route pattern and method", ["route", "method"],
                                 buckets=_LATENCY_BUCKETS, registry=r)
        self.sockets = Gauge("unimatch_websockets_open", "WebSockets open now",
                             multiprocess_mode="livesum", registry=r)
        self.tick_lag = Histogram("unimatch_tick_lag_seconds", "How late a countdown tick "
                                  "started after its time", buckets=_LAG_BUCKETS, registry=r)
        self.tick_spread = Histogram("unimatch_tick_spread_seconds", "From a tick's first "
                                     "socket to its last", buckets=_LAG_BUCKETS, registry=r)
        self.loop_lag = Histogram("unimatch_event_loop_lag_seconds", "How late the event loop "
                                  "ran a timer: its stalls", buckets=_LAG_BUCKETS, registry=r)
        self.hashes = Gauge("unimatch_login_queue_depth", "Password hashes in hand (running or "
                            "waiting for a hashing thread)", multiprocess_mode="livesum",
                            registry=r)
        self.sheds = Counter("unimatch_login_sheds", "Password hashes refused at once (503) "
                             "because the hashing queue was full", registry=r)
        self.round_duration = Histogram("unimatch_round_duration_seconds", "From claiming a "
                                        "round to its pairs and notices written",
                                        buckets=_ROUND_BUCKETS, registry=r)
        self.rounds = Counter("unimatch_rounds", "Rounds made by this service", registry=r)
        self.round_participants = Gauge("unimatch_round_participants", "People in the last "
                                        "round made", multiprocess_mode="mostrecent", registry=r)
        self.round_groups = Gauge("unimatch_round_groups", "Groups (pairs and trios) of the "
                                  "last round made", multiprocess_mode="mostrecent", registry=r)
        self.outbox_depth = Gauge("unimatch_outbox_depth", "Messages waiting to be sent, by "
                                  "channel", ["channel"], multiprocess_mode="mostrecent",
                                  registry=r)
        self.outbox_failures = Counter("unimatch_outbox_failures", "Failed deliveries, by "
                                       "channel and outcome", ["channel", "outcome"], registry=r)

    # -- what the parts report ---------------------------------------------------

    def request_finished(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def sockets_open(self, count: int) -> None:
        self.sockets.set(count)

    def tick_started(self, lag: float) -> None:
        self.tick_lag.observe(max(0.0, lag))

    def tick_sent(self, spread: float) -> None:
        self.tick_spread.observe(spread)

    def loop_late(self, seconds: float) -> None:
        self.loop_lag.observe(max(0.0, seconds))

    def hashes_in_hand(self, count: int) -> None:
        self.hashes.set(count)

    def hash_shed(self) -> None:
        self.sheds.inc()

    def round_made(self, seconds: float, participants: int, groups: int) -> None:
        self.rounds.inc()
        self.round_duration.observe(seconds)
        self.round_participants.set(participants)
        self.round_groups.set(groups)

    def outbox_waiting(self, channel: Channel, count: int) -> None:
        self.outbox_depth.labels(channel).set(count)

    def delivery_failed(self, channel: Channel, outcome: Failure) -> None:
        self.outbox_failures.labels(channel, outcome).inc()

    # -- the scrape --------------------------------------------------------------

    def exposition(self) -> bytes:
        """Every series in Prometheus' text format: this process's, or with
        several processes all of theirs added up from the shared directory."""
        if not self.multiprocess:
            return generate_latest(self.registry)
        # A fresh registry per scrape, as prometheus_client asks: the
        # collector reads every worker's files each time.
        combined = CollectorRegistry()
        multiprocess.MultiProcessCollector(combined)
        return generate_latest(combined)


def forget_worker(pid: int, directory: str) -> None:
    """For the parent of several workers sharing ``directory``, when one
    exits: its live gauges (open sockets, hashes in hand) stop counting."""
    multiprocess.mark_process_dead(pid, directory)


def _write_values_to_files() -> None:
    """prometheus_client picks where values live (memory, or files in the
    shared directory) when it is imported, which in a forked worker may
    have been before the parent set the directory. Picking again before
    the first series is made is the library's own rule for when to pick."""
    if not getattr(values.ValueClass, "_multiprocess", False):
        logger.info("metrics: shared across processes through %s", multiprocess_dir())
        values.ValueClass = values.get_value_class()
