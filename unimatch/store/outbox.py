"""The durable Telegram outbox: rounds enqueue, the notifier delivers."""

from collections.abc import Iterable

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from unimatch.store._guard import insert_new, translate_errors

PENDING, SENDING, SENT, DROPPED = "pending", "sending", "sent", "dropped"

@translate_errors
class Outbox:
    """A message document: ``_id`` (``"<round>:<user>"``: one message per
    member per round, however often the round's last step is retried),
    ``chat_id``, ``user_id``, ``text``, ``state``, ``attempts``,
    ``not_before`` (epoch s), ``lease_until`` while sending, ``sent_at``.

    A message is claimed (``pending`` -> ``sending``) atomically before it is
    sent and marked ``sent`` after, so two senders never send the same one.
    Both the claim and the sender role are conditional updates: atomic on
    MongoDB and nx-27017; on FerretDB 1.x, which applies updates as read,
    change, write back, they hold only while one process sends."""

    def __init__(self, db: AsyncDatabase):
        self._col = db["outbox"]
        self._sender = db["outbox_sender"]

    async def ensure_indexes(self) -> None:
        await self._col.create_index("state")
        await self._col.create_index("not_before")

    async def enqueue(self, messages: list[dict], now: float) -> int:
        """Add messages (each with ``_id``, ``chat_id``, ``user_id``, ``text``);
        ids already present are skipped. Returns how many were added."""
        if not messages:
            return 0
        rows = [{**m, "state": PENDING, "attempts": 0, "not_before": now, "created_at": now}
                for m in messages]
        return await insert_new(self._col, rows)

    async def hold_sender(self, owner: str, now: float, lease: float) -> bool:
        """Take or keep the one sender role (True when ``owner`` holds it):
        Telegram's limits are per bot, so only one process sends at a time."""
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
                                   {"$set": {"state": SENT, "sent_at": now},
                                    "$unset": {"lease_until": ""}})

    async def retry_later(self, message_id: str, not_before: float, error: str,
                          count_attempt: bool = True) -> None:
        """Put a claimed message back, due again at ``not_before``."""
        update = {"$set": {"state": PENDING, "not_before": not_before, "last_error": error},
                  "$unset": {"lease_until": ""}}
        if count_attempt:
            update["$inc"] = {"attempts": 1}
        await self._col.update_one({"_id": message_id}, update)

    async def drop(self, message_id: str, reason: str) -> None:
        await self._col.update_one({"_id": message_id},
                                   {"$set": {"state": DROPPED, "last_error": reason},
                                    "$unset": {"lease_until": ""}})

    async def drop_chat(self, chat_id: int, reason: str) -> int:
        """Drop every undelivered message to a chat (the user blocked the bot)."""
        result = await self._col.update_many(
            {"chat_id": chat_id, "state": {"$in": [PENDING, SENDING]}},
            {"$set": {"state": DROPPED, "last_error": reason}})
        return result.modified_count

    async def counts(self) -> dict[str, int]:
        """How many messages are in each state."""
        return {state: await self._col.count_documents({"state": state})
                for state in (PENDING, SENDING, SENT, DROPPED)}

    async def get(self, message_id: str) -> dict | None:
        return await self._col.find_one({"_id": message_id})
