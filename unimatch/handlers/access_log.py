"""The access log: Tornado's line for every request, without secrets."""

import urllib.parse

import tornado.web
from tornado.log import access_log

#: Query parameters that carry credentials (``/ws/?token=`` does: a browser
#: cannot set headers on a WebSocket).
SECRET_PARAMETERS = frozenset({"token", "access", "refresh"})
REDACTED = "[redacted]"


def log_request(handler: tornado.web.RequestHandler) -> None:
    """Tornado's access line (status, method, URI, client, time) with the
    values of :data:`SECRET_PARAMETERS` left out. Levels as Tornado's, but
    a 503 is a WARNING: the service answered it on purpose (a part not
    configured, the database restarting), and whatever caused it is logged
    on its own at its own level; only an unexpected 5xx is an ERROR.
    A handler with ``quiet_access_log`` (health checks and scrapes, every
    few seconds) logs its successes at DEBUG, so they do not bury the rest."""
    status = handler.get_status()
    if status < 400:
        log = access_log.debug if getattr(handler, "quiet_access_log", False) else access_log.info
    elif status < 500 or status == 503:
        log = access_log.warning
    else:
        log = access_log.error
    request = handler.request
    log("%d %s %s (%s) %.2fms", status, request.method, redacted_uri(request.uri or ""),
        request.remote_ip, 1000.0 * request.request_time())


def redacted_uri(uri: str) -> str:
    """``uri`` with the value of every secret query parameter replaced; the
    rest stays byte for byte as the client sent it."""
    path, mark, query = uri.partition("?")
    if not mark:
        return uri
    parts = []
    for part in query.split("&"):
        name, equals, _ = part.partition("=")
        if urllib.parse.unquote_plus(name).lower() in SECRET_PARAMETERS:
            part = name + "=" + REDACTED
        parts.append(part)
    return path + "?" + "&".join(parts)
