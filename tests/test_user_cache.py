"""Each process keeps the users it reads and their "did you meet?"
answers (issue 12: the token check costs no round trip). What it changes
shows at once; what another process (another client on the same
database) changes shows after its next check, which the server makes
every second (``Store.refresh_cached``)."""

import asyncio

import pytest

from unimatch.store import Store
from unimatch.store.user_cache import BUCKETS, LIFETIME, UserCache
from unimatch.wiring import CACHE_CHECK_SECONDS


@pytest.fixture
def elsewhere(io_loop, mongo_url, shared_db):
    """The store as another process sees it: its own client and copy."""
    other = io_loop.run_sync(lambda: Store.connect(mongo_url, shared_db, prepare=False))
    yield other
    io_loop.run_sync(other.close)


async def _user(store, email="ann@example.com"):
    return await store.users.create(email=email, password_hash="$2b$04$x", first_name="Анна",
                                    created_at=0.0)


@pytest.mark.gen_test
async def test_a_change_made_here_shows_at_once(store, commands):
    ann = await _user(store)
    assert (await store.users.get(ann["_id"]))["first_name"] == "Анна"
    await store.users.update(ann["_id"], {"first_name": "Аня", "hobby": [2]})
    commands.clear()
    got = await store.users.get(ann["_id"])
    assert (got["first_name"], got["hobby"]) == ("Аня", [2])
    assert commands.round_trips() == [[("find", "users")]]  # read again, then kept
    commands.clear()
    assert await store.users.get(ann["_id"]) == got
    assert commands.round_trips() == []


@pytest.mark.gen_test
async def test_a_change_made_elsewhere_shows_after_the_next_check(store, elsewhere):
    ann = await _user(store)
    await store.refresh_cached()
    assert (await store.users.get(ann["_id"]))["is_active_pair"] is True
    await elsewhere.users.update(ann["_id"], {"is_active_pair": False})
    await elsewhere.users.set_staff("ann@example.com")
    await store.refresh_cached()
    got = await store.users.get(ann["_id"])
    assert (got["is_active_pair"], got["is_staff"]) == (False, True)


@pytest.mark.gen_test
async def test_answers_given_elsewhere_show_after_the_next_check(store, elsewhere):
    ann = await _user(store)
    await store.refresh_cached()
    assert await store.feedback.for_user(ann["_id"]) == {}
    await elsewhere.feedback.record(user_id=ann["_id"], pair_id=7, round_no=1, met=True,
                                    rating=4, now=1.0)
    await store.refresh_cached()
    assert (await store.feedback.for_user(ann["_id"]))[7]["rating"] == 4


@pytest.mark.gen_test
async def test_what_was_kept_before_the_first_check_is_read_again(store, elsewhere, commands):
    """Before its first check a process has no versions to compare with,
    so whatever it kept until then may be stale."""
    ann = await _user(store)
    await store.users.get(ann["_id"])
    await elsewhere.users.update(ann["_id"], {"first_name": "Аня"})
    await store.refresh_cached()
    assert (await store.users.get(ann["_id"]))["first_name"] == "Аня"


@pytest.mark.gen_test
async def test_only_the_changed_users_bucket_is_read_again(store, elsewhere, commands):
    ann, bob = await _user(store), await _user(store, "bob@example.com")
    await store.refresh_cached()
    await store.users.many([ann["_id"], bob["_id"]])
    await elsewhere.users.update(bob["_id"], {"first_name": "Боб"})
    await store.refresh_cached()
    commands.clear()
    both = await store.users.many([ann["_id"], bob["_id"]])
    assert both[bob["_id"]]["first_name"] == "Боб"
    assert commands.round_trips() == [[("find", "users")]]
    assert [c.command["filter"] for c in commands.commands] == [{"_id": bob["_id"]}]


@pytest.mark.gen_test
async def test_an_entry_is_read_again_after_its_lifetime(store, commands):
    """A process that died between a change and telling the others leaves
    no copy stale for long."""
    ann = await _user(store)
    await store.refresh_cached()
    await store.users.get(ann["_id"])
    for _ in range(LIFETIME):
        await store.refresh_cached()
    commands.clear()
    await store.users.get(ann["_id"])
    assert commands.round_trips() == [[("find", "users")]]


@pytest.mark.gen_test
async def test_a_load_that_raced_a_change_here_is_not_kept(store):
    cache = UserCache(store.db)
    token = cache.token()  # a read of user 5 starts...
    async with cache.changing(5):  # ...a change to user 5 lands...
        pass
    cache.keep("user", 5, {"_id": 5, "first_name": "old"}, token)  # ...the read ends
    assert cache.get("user", 5) is None
    cache.keep("user", 5, {"_id": 5, "first_name": "new"}, cache.token())
    assert cache.get("user", 5) == {"_id": 5, "first_name": "new"}


@pytest.mark.gen_test
async def test_a_load_that_raced_a_change_elsewhere_is_not_used(store, elsewhere):
    """The read began before the other process's change; the refresh that
    learns of the change comes before the read ends."""
    cache = UserCache(store.db)
    await cache.refresh()
    token = cache.token()
    async with UserCache(elsewhere.db).changing(5):  # what another process's write does
        pass
    await cache.refresh()
    cache.keep("user", 5, {"_id": 5, "first_name": "old"}, token)
    assert cache.get("user", 5) is None
    cache.keep("user", 5 + BUCKETS, {"_id": 5 + BUCKETS}, token)  # same bucket, same rule
    assert cache.get("user", 5 + BUCKETS) is None
    cache.keep("user", 6, {"_id": 6}, token)  # another bucket: kept
    assert cache.get("user", 6) == {"_id": 6}


@pytest.mark.gen_test
async def test_a_failed_write_is_announced_all_the_same(store, elsewhere):
    """A write that raised may have landed (a connection lost after the
    server applied it): the other processes are told anyway."""
    ann = await _user(store)
    await elsewhere.refresh_cached()
    assert (await elsewhere.users.get(ann["_id"]))["first_name"] == "Анна"
    with pytest.raises(ConnectionError):
        async with UserCache(store.db).changing(ann["_id"]):
            # The write lands, then the writer loses the connection.
            await store.db["users"].update_one({"_id": ann["_id"]},
                                               {"$set": {"first_name": "Аня"}})
            raise ConnectionError("lost after the write")
    await elsewhere.refresh_cached()
    assert (await elsewhere.users.get(ann["_id"]))["first_name"] == "Аня"


@pytest.mark.gen_test
async def test_nothing_kept_is_used_while_refreshes_fail(store):
    """A process out of touch with the store (no refresh for a while)
    cannot know what changed elsewhere: it reads the store meanwhile."""
    cache = UserCache(store.db, silence=0.2)
    cache.keep("user", 5, {"_id": 5}, cache.token())
    assert cache.get("user", 5) == {"_id": 5}  # never refreshed: only its own changes count
    await cache.refresh()
    cache.keep("user", 5, {"_id": 5}, cache.token())
    assert cache.get("user", 5) == {"_id": 5}
    await asyncio.sleep(0.3)
    assert cache.get("user", 5) is None
    await cache.refresh()
    assert cache.get("user", 5) == {"_id": 5}


@pytest.mark.gen_test
async def test_the_copy_is_bounded(store):
    cache = UserCache(store.db, size=3)
    for user_id in range(5):
        cache.keep("user", user_id, {"_id": user_id}, cache.token())
    assert [cache.get("user", n) for n in range(5)] == [None, None, {"_id": 2}, {"_id": 3},
                                                         {"_id": 4}]


@pytest.mark.gen_test
async def test_a_caller_cannot_change_what_is_kept(store):
    ann = await _user(store)
    got = await store.users.get(ann["_id"])
    got["hobby"].append(99)
    got["first_name"] = "X"
    again = await store.users.get(ann["_id"])
    assert (again["first_name"], again["hobby"]) == ("Анна", [])


@pytest.mark.gen_test(timeout=30)
async def test_sessions_ended_elsewhere_end_here_within_a_check(api, realtime, clock, elsewhere):
    """A password reset through another process (tokens_after) refuses
    this process's tokens once it has checked: the server does every second."""
    await realtime.start()
    registered = await api.register()
    token = registered["access"]
    assert (await api.get("/auth/users/me/", token=token))[0] == 200
    await elsewhere.users.set_password(registered["user"]["id"], "$2b$04$y",
                                       clock.timestamp() + 1)
    # Issuing tokens reads the user afresh: refused at once.
    status, body = await api.post("/api/token/refresh/", {"refresh": registered["refresh"]})
    assert (status, body["code"]) == (401, "token_not_valid")
    for _ in range(int(10 * CACHE_CHECK_SECONDS) + 50):
        status, body = await api.get("/auth/users/me/", token=token)
        if status != 200:
            break
        await asyncio.sleep(0.1)
    assert status == 401, body


@pytest.mark.gen_test
async def test_staff_is_decided_by_the_store_at_once(api, elsewhere):
    """``unimatch create-admin`` is another process: its change must not
    wait for this one's check, nor must staff taken away."""
    token = (await api.register())["access"]
    assert (await api.get("/admin-api/stats/", token=token))[0] == 403
    await elsewhere.users.set_staff("ann@example.com")
    assert (await api.get("/admin-api/stats/", token=token))[0] == 200
    await elsewhere.users.set_staff("ann@example.com", False)
    assert (await api.get("/admin-api/stats/", token=token))[0] == 403
