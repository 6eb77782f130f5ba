"""``GET /healthz``: whether this server process can serve, for load
balancers and operators; ``pid`` says which process answered (with
``--processes N`` each worker answers for itself)."""

import asyncio
import os

from unimatch.errors import StoreUnavailable
from unimatch.handlers.base import BaseHandler

#: How long the store may take to answer the ping before we say we are unwell.
PING_TIMEOUT = 1.0


class HealthHandler(BaseHandler):
    async def get(self) -> None:
        try:
            await asyncio.wait_for(self.services.store.ping(), PING_TIMEOUT)
        except (StoreUnavailable, TimeoutError):
            self.send_json({"status": "unavailable", "pid": os.getpid()}, 503)
            return
        self.send_json({"status": "ok", "pid": os.getpid()})
