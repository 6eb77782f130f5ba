"""Login throttling: failures counted per account and per client address in
the store; 429 with Retry-After and DRF's body once a limit is used up."""

import pytest

from unimatch.auth.throttle import PER_ACCOUNT, PER_ADDRESS, LoginThrottle
from unimatch.errors import Throttled

PASSWORD = "correct-horse-7"


def _from(address):
    return {"X-Forwarded-For": f"203.0.113.250, {address}"}


async def _login(api, email, password, address):
    return await api.post("/api/token/", {"email": email, "password": password},
                          headers=_from(address))


def _throttled(api, status, body):
    wait = int(api.last.headers["Retry-After"])
    assert status == 429
    assert 1 <= wait <= PER_ACCOUNT.window
    assert body == {"detail": f"Request was throttled. Expected available in {wait} seconds."}


@pytest.fixture
def config_overrides():
    return {"trust_proxy": True}


@pytest.mark.gen_test(timeout=60)
async def test_an_account_hammered_from_everywhere_stays_open_to_its_owner(api, clock):
    await api.register("ann@example.com", PASSWORD)
    assert (await _login(api, "ann@example.com", PASSWORD, "10.0.0.1"))[0] == 200  # Ann's laptop
    for i in range(PER_ACCOUNT.failures):
        status, body = await _login(api, "ANN@example.com", f"guess-{i}", f"198.51.100.{i}")
        assert (status, body) == (401, {"detail": "No active account found with the given credentials"})

    status, body = await _login(api, "ann@example.com", PASSWORD, "198.51.100.200")
    _throttled(api, status, body)  # a new address: even the right password waits
    assert (await _login(api, "ann@example.com", PASSWORD, "10.0.0.1"))[0] == 200
    clock.advance(PER_ACCOUNT.window)
    assert (await _login(api, "ann@example.com", PASSWORD, "198.51.100.200"))[0] == 200


@pytest.mark.gen_test(timeout=60)
async def test_an_address_that_fails_too_often_waits_and_nobody_else_does(api, clock):
    await api.register("ann@example.com", PASSWORD)
    for i in range(PER_ADDRESS.failures):
        status, _ = await _login(api, f"user{i}@example.com", PASSWORD, "192.0.2.7")
        assert status == 401
    status, body = await _login(api, "ann@example.com", PASSWORD, "192.0.2.7")
    _throttled(api, status, body)
    assert (await _login(api, "ann@example.com", PASSWORD, "192.0.2.8"))[0] == 200
    clock.advance(PER_ADDRESS.window)
    assert (await _login(api, "ann@example.com", PASSWORD, "192.0.2.7"))[0] == 200


@pytest.mark.gen_test(timeout=60)
@pytest.mark.parametrize("config_overrides", [{"trust_proxy": False}])
async def test_without_trust_proxy_forwarded_addresses_are_ignored(api, config_overrides):
    await api.register("ann@example.com", PASSWORD)
    for i in range(PER_ADDRESS.failures):
        await _login(api, f"user{i}@example.com", PASSWORD, f"198.51.100.{i}")
    status, body = await _login(api, "ann@example.com", PASSWORD, "192.0.2.99")
    _throttled(api, status, body)


@pytest.mark.gen_test(timeout=60)
async def test_failures_are_shared_by_every_process(api, store, services, clock):
    """The counts live in the store: a second server sees the first's."""
    for i in range(PER_ACCOUNT.failures):
        await _login(api, "bob@example.com", "wrong", f"198.51.100.{i}")
    other_process = LoginThrottle(store, clock)
    with pytest.raises(Throttled):
        await other_process.check("bob@example.com", "198.51.100.77")
