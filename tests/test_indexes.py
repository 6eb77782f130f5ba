"""Every query a request makes (and the cache check every process makes
each second) is answered through an index (issue 12), so
registration, login and GET me cost the same at 1,000 users as at 10,000
(bench/api.py times them at both sizes; here no timing, the plans).

A few thousand users and their pairs in the store, then the request paths
run over HTTP while the store's client logs its commands; each filter the
store sent is explained as a ``find`` and the engine's plan read:

- nx-27017 answers with SQLite's plan: ``SEARCH <collection> USING INDEX``
  or ``SCAN <collection>``. It explains only ``find`` for real (a write's
  explain is an empty ``EOF``), hence writes' filters are explained as finds.
- FerretDB 1.x (SQLite backend) scans the collection for every query, its
  indexes only enforcing uniqueness: pinned here, so a FerretDB that starts
  using them says so (README, Known limits).
- MongoDB: no ``COLLSCAN`` stage."""

import json

import pytest

from unimatch.auth.reset import encode_uid

PASSWORD = "correct-horse-7"
RESET = "/v2/api/auth/users/reset_password/"
CONFIRM = "/v2/api/auth/users/reset_password_confirm/"
POPULATION = 3000
INDEX, SCAN = "index", "scan"
#: Read whole on purpose: every hobby, into each process's copy (a few
#: dozen documents, read again only when they change); the user copy's
#: version documents (64, read every second).
WHOLE_READS = {("hobbies", "{}"), ("user_versions", "{}")}


@pytest.fixture
def config_overrides():
    # Mail on, so a reset link can be asked for; nothing sends it here.
    return {"smtp_url": "smtp://127.0.0.1:9", "mail_from": "noreply@unimatch.test"}


def _filters(event):
    """``(collection, filter)`` of each query in a logged command."""
    command, name = event.command, event.command_name
    if name == "find":
        return [(command["find"], command.get("filter", {}))]
    if name == "findAndModify":
        return [(command["findAndModify"], command["query"])]
    if name == "update":
        return [(command["update"], update["q"]) for update in command["updates"]]
    if name == "delete":
        return [(command["delete"], delete["q"]) for delete in command["deletes"]]
    assert name in ("insert", "getMore", "killCursors", "endSessions"), f"unexpected {name}"
    return []


def _plan(kind, collection, explained):
    """INDEX or SCAN as the engine's explanation of a find tells it."""
    if kind == "nx-27017":
        details = [step["detail"] for step in explained["queryPlanner"]["winningPlan"]]
        if any(d == f"SCAN {collection}" or d.startswith(f"SCAN {collection} ") for d in details):
            return SCAN
        assert any(d.startswith(f"SEARCH {collection} USING ") for d in details), details
        return INDEX
    if kind == "ferretdb":
        lines = explained["queryPlanner"]["Plan"]
        return SCAN if any(" detail=SCAN " in f" {line} " for line in lines) else INDEX
    return SCAN if "COLLSCAN" in json.dumps(explained["queryPlanner"]["winningPlan"]) else INDEX


async def _populate(store):
    """POPULATION users, a round pairing them two by two, that round finished."""
    await store.users.create_many([{"email": f"user{n}@example.com", "password_hash": "$2b$04$x",
                                    "hobby": [1 + n % 16]} for n in range(POPULATION)],
                                  created_at=0.0)
    groups = [(n, n + 1) for n in range(1, POPULATION, 2)]
    await store.pairs.insert_round(1, "2026-11-23", groups, {})
    args = dict(scheduled_for=0.0, created_at="2026-11-23", now=0.0, lease=60)
    await store.rounds.claim("first", owner="test", **args)
    await store.rounds.finish("first", "test", {}, 1.0)


async def _request_paths(api, store, services):
    """What clients do: register, log in (right, wrong, unknown), read and
    change the profile and hobbies, read pairs and say whether they met,
    block a partner, refresh and revoke tokens, reset a password."""
    registered = await api.register("ann@example.com", PASSWORD, hobby=[2, 3])
    ann = registered["user"]["id"]
    await store.pairs.insert_round(2, "2026-11-30", [(ann, 1)], {ann: frozenset({2}),
                                                                  1: frozenset({2})})
    tokens = (await api.post("/api/token/", {"email": "ann@example.com", "password": PASSWORD}))[1]
    access = tokens["access"]
    for body in ({"email": "ann@example.com", "password": "wrong-horse-7"},
                 {"email": "nobody@example.com", "password": PASSWORD}):
        assert (await api.post("/api/token/", body))[0] == 401
    for path in ("/auth/users/me/", "/users/api/hobby/", "/users/api/hobby/total/",
                 "/users/api/hobby/all/", "/users/api/pairs/", "/v2/api/pairs/",
                 "/v2/api/auth/users/me/"):
        assert (await api.get(path, token=access))[0] == 200, path
    [pair] = (await api.get("/users/api/pairs/", token=access))[1]
    assert (await api.post(f"/users/api/pairs/{pair['id']}/feedback/", {"met": True, "rating": 5},
                           token=access))[0] == 200
    assert (await api.patch("/auth/users/me/", {"first_name": "Анна", "hobby": [4]},
                            token=access))[0] == 200
    assert (await api.patch("/users/api/hobby/", {"hobby": [5, 6]}, token=access))[0] == 200
    status, fresh = await api.post("/api/token/refresh/", {"refresh": tokens["refresh"]})
    assert status == 200
    assert (await api.post("/api/token/blacklist/", {"refresh": fresh["refresh"]}))[0] == 200
    assert (await api.post("/v2/api/token/", {"email": "ann@example.com",
                                              "password": PASSWORD}))[0] == 200
    # Blocking the partner of round 2, reading the block list, unblocking.
    assert (await api.post("/users/api/blocks/", {"user": 1}, token=access))[0] == 201
    assert (await api.get("/users/api/blocks/", token=access))[0] == 200
    assert (await api.request("DELETE", "/users/api/blocks/1/", token=access))[0] == 204
    # A password reset: asked for (queued, the sender not running), then set.
    assert (await api.post(RESET, {"email": "ann@example.com"}))[0] == 200
    user, password_hash = await store.users.for_reset("ann@example.com")
    token = services.reset.tokens.make(ann, password_hash, user["email"])
    assert (await api.post(CONFIRM, {"uid": encode_uid(ann), "token": token,
                                     "new_password": "brand-new-pass-9"}))[0] == 200
    # A round's alerts look up every member this process does not keep, at once.
    assert len(await store.users.many([ann, 1, 3, 5, 7])) == 5


@pytest.mark.gen_test(timeout=300)
async def test_every_query_of_a_request_uses_an_index(api, store, services, commands, engine):
    await _populate(store)
    commands.clear()
    await _request_paths(api, store, services)
    await store.refresh_cached()  # what every process reads each second
    queries = {}
    for event in commands.commands:
        for collection, query in _filters(event):
            queries.setdefault((collection, json.dumps(query, sort_keys=True, default=str)), query)
    assert {collection for collection, _ in queries} >= {
        "users", "pair_members", "rounds", "hobbies", "counters", "token_blacklist", "blocks",
        "feedback"}
    plans, expected = {}, {}
    for (collection, shown), query in queries.items():
        explained = await store.db.command("explain", {"find": collection, "filter": query})
        plans[collection, shown] = _plan(engine.kind, collection, explained)
        whole = (collection, shown) in WHOLE_READS
        expected[collection, shown] = SCAN if whole or engine.kind == "ferretdb" else INDEX
    assert plans == expected
