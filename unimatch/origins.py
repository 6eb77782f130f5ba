"""Which browser origins may call the API and open sockets."""

import ipaddress
from urllib.parse import urlsplit


class Origins:
    """Same-origin requests always; others when listed (``*``: any)."""

    def __init__(self, allowed: tuple[str, ...]):
        self._allowed = frozenset(allowed)

    def allowed(self, origin: str, host: str) -> bool:
        """Whether a request from ``origin`` to ``host`` (the Host header) may proceed."""
        origin = origin.rstrip("/")
        if urlsplit(origin).netloc == host:
            return True
        return "*" in self._allowed or origin in self._allowed


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine's loopback."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
