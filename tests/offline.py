"""Tests never leave the machine: any connection from the test process to
an address that is not loopback is refused and fails the test that made
it, even when the code under test catches the error (a notifier that
retries network errors would otherwise hide it).

Server subprocesses started by tests are kept local by their settings
(no Telegram token, or a fake Bot API on loopback); the FerretDB lane's
server by its flags (telemetry off, no debug listener, loopback only:
``unimatch/store/ferretdb.py``)."""

import ipaddress
import socket

import pytest

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", ""})
_violations: list[str] = []
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NetworkAccessDenied(OSError):
    """A test tried to reach beyond loopback."""


def _is_local_host(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None or host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address, family) -> None:
    if family == socket.AF_UNIX:
        return
    host = address[0] if isinstance(address, tuple) else address
    if not _is_local_host(host):
        _violations.append(repr(address))
        raise NetworkAccessDenied(f"tests may not connect to {address!r} (not loopback)")


def _guarded_connect(self, address):
    _check(address, self.family)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check(address, self.family)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not _is_local_host(host):
        _violations.append(f"DNS lookup of {host!r}")
        raise NetworkAccessDenied(f"tests may not look up {host!r} (not loopback)")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config) -> None:
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.getaddrinfo = _guarded_getaddrinfo


def pytest_unconfigure(config) -> None:
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex
    socket.getaddrinfo = _real_getaddrinfo


@pytest.fixture(autouse=True)
def _no_network_beyond_loopback():
    start = len(_violations)
    yield
    attempts = _violations[start:]
    assert not attempts, f"the test tried to reach beyond loopback: {attempts}"
