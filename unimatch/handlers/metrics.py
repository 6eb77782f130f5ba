"""``GET /metrics``: every series in Prometheus' text format, for a
scraper. Open unless ``METRICS_TOKEN`` is set; then only for a request
that carries it as a bearer token."""

import hmac

from unimatch import errors
from unimatch.handlers.base import BaseHandler
from unimatch.metrics import CONTENT_TYPE
from unimatch.monitoring import refresh_outbox_depths


class MetricsHandler(BaseHandler):
    quiet_access_log = True  # asked every few seconds by a scraper

    async def get(self) -> None:
        self._check_token()
        services = self.services
        await refresh_outbox_depths(services.store, services.metrics)
        self.set_header("Content-Type", CONTENT_TYPE)
        self.set_header("Cache-Control", "no-store")
        self.finish(services.metrics.exposition())

    def _check_token(self) -> None:
        expected = self.services.config.metrics_token
        if expected is None:
            return
        scheme, _, given = self.request.headers.get("Authorization", "").partition(" ")
        # Compared in constant time: the answer's timing tells nothing of the token.
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                  expected.encode()):
            raise errors.NotAuthenticated()
