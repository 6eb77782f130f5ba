"""Durable outboxes: what is to be sent (Telegram notices, mail), each
message claimed before it goes out and marked after, by one sender at a
time across processes."""

from collections.abc import Iterable

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from unimatch.store._guard import insert_new, translate_errors

PENDING, SENDING, SENT, DROPPED = "pending", "sending", "sent", "dropped"


@translate_errors
class Outbox:
    """A message document: ``_id`` (chosen by whoever queues it, so that a
    retried step queues nothing twice), what the sender needs to send it,
    ``state``, ``attempts``, ``not_before`` (epoch s), ``lease_until``
    while sending, ``done_at`` once sent or dropped.

    A message is claimed (``pending`` -> ``sending``) atomically before it is
    sent and marked ``sent`` after, so two senders never send the same one.
    Both the claim and the sender role are conditional updates: atomic on
    MongoDB and nx-27017; on FerretDB 1.x, which applies updates as read,
    change, write back, they hold only while one process sends.

    ``name`` is the collection; the sender role lives in ``<name>_sender``,
    and what many messages share (one text for everyone) in
    ``<name>_contents``, once, named by the messages' ``content``."""

    def __init__(self, db: AsyncDatabase, name: str = "outbox"):
        self._col = db[name]
        self._sender = db[f"{name}_sender"]
        self._contents = db[f"{name}_contents"]

    async def ensure_indexes(self) -> None:
        await self._col.create_index("state")
        await self._col.create_index("not_before")

    async def enqueue(self, messages: list[dict], now: float) -> int:
        """Add messages (each with its ``_id``, and due at its
        ``not_before`` when it has one, else now); ids already present are
        skipped. Returns how many were added."""
        if not messages:
            return 0
        rows = [{**m, "state": PENDING, "attempts": 0, "not_before": m.get("not_before", now),
                 "created_at": now} for m in messages]
        return await insert_new(self._col, rows)

    async def enqueue_shared(self, content_id: str, content: dict, messages: list[dict],
                             now: float) -> int:
        """Store ``content`` once as ``content_id``, then add ``messages``
        naming it; returns how many messages were added."""
        await insert_new(self._contents, [{**content, "_id": content_id, "created_at": now}])
        return await self.enqueue([{**m, "content": content_id} for m in messages], now)

    async def content(self, content_id: str) -> dict | None:
        return await self._contents.find_one({"_id": content_id})

    async def hold_sender(self, owner: str, now: float, lease: float) -> bool:
        """Take or keep the one sender role (True when ``owner`` holds it):
        a service's limits (Telegram's per bot, a mail server's per account)
        hold only when one process sends at a time."""
        try:
            await self._sender.insert_one({"_id": "sender", "owner": owner, "until": now + lease})
            return True
        except DuplicateKeyError:
            pass
        held = await self._sender.find_one_and_update(
            {"_id": "sender", "$or": [{"owner": owner}, {"until": {"$lt": now}}]},
            {"$set": {"owner": owner, "until": now + lease}})
        return held is not None

    async def release_sender(self, owner: str) -> None:
        await self._sender.update_one({"_id": "sender", "owner": owner}, {"$set": {"until": 0}})

    async def claim_due(self, now: float, lease: float,
                        skip: Iterable[str] = ()) -> dict | None:
        """Claim one message that is due: pending, or stuck in ``sending``
        past its lease (its sender died before it could record the result)."""
        return await self._col.find_one_and_update(
            {"_id": {"$nin": list(skip)}, "not_before": {"$lte": now},
             "$or": [{"state": PENDING}, {"state": SENDING, "lease_until": {"$lt": now}}]},
            {"$set": {"state": SENDING, "lease_until": now + lease}},
            return_document=ReturnDocument.AFTER)

    async def mark_sent(self, message_id: str, now: float) -> None:
        await self._col.update_one({"_id": message_id},
                                   {"$set": {"state": SENT, "sent_at": now, "done_at": now},
                                    "$unset": {"lease_until": ""}})

    async def retry_later(self, message_id: str, not_before: float, error: str,
                          count_attempt: bool = True) -> None:
        """Put a claimed message back, due again at ``not_before``."""
        update = {"$set": {"state": PENDING, "not_before": not_before, "last_error": error},
                  "$unset": {"lease_until": ""}}
        if count_attempt:
            update["$inc"] = {"attempts": 1}
        await self._col.update_one({"_id": message_id}, update)

    async def drop(self, message_id: str, reason: str, now: float) -> None:
        await self._col.update_one({"_id": message_id},
                                   {"$set": {"state": DROPPED, "last_error": reason,
                                             "done_at": now},
                                    "$unset": {"lease_until": ""}})

    async def forget_done(self, before: float) -> int:
        """Delete the messages sent or dropped before ``before`` (epoch s),
        and shared contents from then that no message names any more;
        returns how many documents went."""
        result = await self._col.delete_many({"state": {"$in": [SENT, DROPPED]},
                                              "done_at": {"$lt": before}})
        removed = result.deleted_count
        async for content in self._contents.find({"created_at": {"$lt": before}}, {"_id": 1}):
            if await self._col.find_one({"content": content["_id"]}, {"_id": 1}) is None:
                removed += (await self._contents.delete_one({"_id": content["_id"]})).deleted_count
        return removed

    async def waiting(self) -> int:
        """How many messages are still to be sent (pending or in hand),
        counted through the ``state`` index."""
        return await self._col.count_documents({"state": {"$in": [PENDING, SENDING]}})

    async def counts(self) -> dict[str, int]:
        """How many messages are in each state."""
        return {state: await self._col.count_documents({"state": state})
                for state in (PENDING, SENDING, SENT, DROPPED)}

    async def get(self, message_id: str) -> dict | None:
        return await self._col.find_one({"_id": message_id})


@translate_errors
class TelegramOutbox(Outbox):
    """Round notices: ``_id`` ``"<round>:<user>"`` (one message per member
    per round, however often the round's last step is retried), ``kind``
    (``match``), ``chat_id``, ``user_id``, ``round``, ``text``; and
    "did you meet?" reminders, ``_id`` ``"feedback:<round>:<user>"``,
    ``kind`` ``feedback``, due days later (``not_before``), which also
    carry ``buttons``: one row of inline buttons, ``[{"text", "data"}]``
    (``data`` comes back in the press's callback query)."""

    async def drop_chat(self, chat_id: int, reason: str, now: float) -> int:
        """Drop every undelivered message to a chat (the user blocked the bot)."""
        result = await self._col.update_many(
            {"chat_id": chat_id, "state": {"$in": [PENDING, SENDING]}},
            {"$set": {"state": DROPPED, "last_error": reason, "done_at": now}})
        return result.modified_count
