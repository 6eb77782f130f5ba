"""``GET /healthz``: whether this process can serve, for load balancers
and supervisors. Open to anyone: it tells nothing but up or down."""

import os

from unimatch.handlers.base import BaseHandler
from unimatch.monitoring import PING_TIMEOUT, store_answers


class HealthHandler(BaseHandler):
    """200 when the store answers a ping within a second, else 503; JSON
    either way, with the answering process's pid (with several processes
    on one port, it says which one answered)."""

    quiet_access_log = True  # asked every few seconds by load balancers

    async def get(self) -> None:
        problem = await store_answers(self.services.store, PING_TIMEOUT)
        if problem is None:
            self.send_json({"status": "ok", "pid": os.getpid(), "store": "ok"})
        else:
            self.send_json({"status": "unavailable", "pid": os.getpid(), "store": problem}, 503)
