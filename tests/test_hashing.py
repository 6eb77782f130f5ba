"""Password hashing under a login storm (issue 12): bcrypt on a pool that
leaves the event loop a core, with a bounded queue; past it, logins and
registrations answer 503 with Retry-After at once instead of waiting."""

import asyncio
import concurrent.futures
import json
import os
import threading

import pytest
from tornado.httpclient import AsyncHTTPClient

from unimatch.auth.passwords import (
    HASHING_NICENESS,
    PasswordHasher,
    hashing_workers,
    start_hashing_thread,
)
from unimatch.config import parse_config
from unimatch.errors import HashingBusy

PASSWORD = "correct-horse-7"
BUSY = {"detail": "Too many sign-ins at once, try again in a moment."}


#: A well-formed bcrypt hash at cost 13 (the salt's last character is one
#: of the four bcrypt allows there): checking a password against it keeps
#: a hashing thread busy for about a second, and matches nothing.
SLOW_HASH = "$2b$13$" + "a" * 21 + "e" + "a" * 31


@pytest.fixture
def config_overrides():
    return {"bcrypt_rounds": 10, "hash_queue": 1}


def test_the_pool_leaves_the_loop_a_core():
    assert [hashing_workers(cpus) for cpus in (1, 2, 4, 8)] == [1, 1, 3, 7]


def test_hashing_threads_let_everything_else_go_first():
    def niceness_after_start():
        start_hashing_thread()
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        hashing = pool.submit(niceness_after_start).result()
    assert hashing == os.getpriority(os.PRIO_PROCESS, 0) + HASHING_NICENESS


def test_the_queue_is_an_option():
    assert parse_config([]).hash_queue == 4
    assert parse_config(["--hash-queue", "0"]).hash_queue == 0
    with pytest.raises(SystemExit):
        parse_config(["--hash-queue", "-1"])


def test_the_server_sizes_the_pool_from_its_cores(services, config):
    cores = len(os.sched_getaffinity(0))
    assert services.hasher.capacity == hashing_workers(cores) + config.hash_queue


@pytest.mark.gen_test(timeout=30)
async def test_the_hasher_refuses_past_its_capacity_at_once():
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        hasher = PasswordHasher(12, pool, capacity=1)
        first = asyncio.ensure_future(hasher.hash(PASSWORD))
        await asyncio.sleep(0)  # in hand now
        with pytest.raises(HashingBusy) as refused:
            await hasher.hash(PASSWORD)
        assert refused.value.retry_after == 1
        assert await hasher.verify(PASSWORD, await first)
        assert hasher.in_hand == 0


async def _post_all(base_url, path, bodies):
    """POST every body at once, each on its own connection."""
    client = AsyncHTTPClient(force_instance=True, max_clients=len(bodies))
    try:
        return await asyncio.gather(*(
            client.fetch(base_url + path, method="POST", body=json.dumps(body),
                         headers={"Content-Type": "application/json"}, raise_error=False)
            for body in bodies))
    finally:
        client.close()


def _refused(response):
    return (response.code, response.headers.get("Retry-After"),
            json.loads(response.body)) == (503, "1", BUSY)


@pytest.mark.gen_test(timeout=60)
async def test_a_full_queue_answers_503_with_retry_after(api, base_url, services):
    token = (await api.register("ann@example.com", PASSWORD))["access"]
    hasher = services.hasher
    # The pool and its queue taken, as a storm would take them.
    storm = [asyncio.ensure_future(hasher.verify(PASSWORD, SLOW_HASH))
             for _ in range(hasher.capacity)]
    await asyncio.sleep(0)
    login = {"email": "ann@example.com", "password": PASSWORD}
    answers = await _post_all(base_url, "/api/token/", [login] * 4)
    answers += await _post_all(base_url, "/v2/api/token/", [login])
    answers += await _post_all(base_url, "/users/api/register/",
                               [{"email": "bob@example.com", "password": PASSWORD}])
    assert hasher.in_hand == hasher.capacity, "the storm still runs: every answer came at once"
    assert [_refused(answer) for answer in answers] == [True] * 6
    # Everything else goes on meanwhile.
    status, me = await api.get("/auth/users/me/", token=token)
    assert (status, me["email"]) == (200, "ann@example.com")
    assert await asyncio.gather(*storm) == [False] * hasher.capacity
    # Refusals are not failed logins: nothing is throttled afterwards.
    assert (await api.post("/api/token/", login))[0] == 200
    assert (await api.post("/users/api/register/",
                           {"email": "bob@example.com", "password": PASSWORD}))[0] == 201


@pytest.mark.gen_test(timeout=60)
async def test_a_storm_of_logins_is_served_or_refused_never_held(api, base_url, services):
    await api.register("ann@example.com", PASSWORD)
    storm = services.hasher.capacity + 6
    answers = await _post_all(base_url, "/api/token/",
                              [{"email": "ann@example.com", "password": PASSWORD}] * storm)
    served = [answer for answer in answers if answer.code == 200]
    assert served and all(set(json.loads(answer.body)) == {"access", "refresh"} for answer in served)
    assert all(_refused(answer) for answer in answers if answer.code != 200)
    assert services.hasher.in_hand == 0
