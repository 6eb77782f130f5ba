"""What a server says of itself at ``GET /metrics``, for the benches to
print beside what they measured from outside: the logins it shed, how
late its event loop ran, its tick spread."""

import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset], float]


def scrape(base: str) -> Samples | None:
    """Every sample the server at ``base`` exposes; None when it has no
    ``/metrics`` (an older checkout) or does not answer."""
    try:
        with urllib.request.urlopen(base + "/metrics", timeout=10) as answer:
            text = answer.read().decode()
    except (urllib.error.URLError, OSError):
        return None
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def over(samples: Samples, histogram: str, bound: str) -> tuple[int, int]:
    """``(observations above bound, all observations)`` of a histogram
    without labels; ``bound`` is one of its buckets (``"0.05"``)."""
    count = value(samples, histogram + "_count")
    return int(count - value(samples, histogram + "_bucket", le=bound)), int(count)


def bucket_quantile(samples: Samples, histogram: str, q: float) -> str:
    """The upper bound of the bucket holding quantile ``q`` (what a
    histogram can tell: "at most this"), as text."""
    buckets = sorted((float(dict(labels)["le"]), count) for (name, labels), count in samples.items()
                     if name == histogram + "_bucket")
    total = buckets[-1][1] if buckets else 0
    for bound, count in buckets:
        if total and count >= q * total:
            return f"<= {bound * 1000:.0f} ms" if bound != float("inf") else "over the top bucket"
    return "-"


def describe(samples: Samples | None) -> str:
    """One line of the server's own figures."""
    if samples is None:
        return "server's /metrics: none (a server without it)"
    stalls, wakes = over(samples, "unimatch_event_loop_lag_seconds", "0.05")
    return (f"server's /metrics: {int(value(samples, 'unimatch_login_sheds_total'))} logins shed "
            f"(503), event loop late over 50 ms at {stalls} of {wakes} wakes (p99 "
            f"{bucket_quantile(samples, 'unimatch_event_loop_lag_seconds', 0.99)}), tick spread "
            f"p99 {bucket_quantile(samples, 'unimatch_tick_spread_seconds', 0.99)}")
