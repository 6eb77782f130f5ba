""""Did you meet?" reminders: queued with a round's notices, due three days
after them, with two buttons whose presses the bot records."""

import logging

from unimatch.store import Store
from unimatch.telegram.messages import MET, NOT_MET, reminder_message

logger = logging.getLogger(__name__)

#: A reminder goes out this long after its round.
DELAY = 3 * 24 * 3600.0
KIND = "feedback"
_PREFIX = "met"


def reminder_id(number: int, user_id: int) -> str:
    return f"{KIND}:{number}:{user_id}"


def button_data(pair_id: int, met: bool) -> str:
    """A button's ``callback_data`` (Telegram allows 64 bytes)."""
    return f"{_PREFIX}:{pair_id}:{int(met)}"


def parse_button(data: str | None) -> tuple[int, bool] | None:
    """``(pair id, met)`` from a button's data; None for anything else."""
    prefix, _, rest = (data or "").partition(":")
    pair, _, met = rest.partition(":")
    if prefix != _PREFIX or met not in ("0", "1") or not pair.isascii() or not pair.isdecimal() \
            or len(pair) > 18:
        return None
    return int(pair), met == "1"


def reminders(number: int, announced_at: float, linked: dict[int, dict], pairs: list[dict],
              users: dict[int, dict]) -> list[dict]:
    """The outbox messages reminding round ``number``'s linked members
    (``linked``: user by id) to answer, due :data:`DELAY` after the pairs
    were announced (``announced_at``, epoch s). ``pairs``: the round's pairs; ``users``: their members.
    The buttons name the member's first pair of the round; a press answers
    for all of the member's pairs in it (a trio meets together)."""
    first_pair: dict[int, int] = {}
    partners: dict[int, list[int]] = {}
    for pair in sorted(pairs, key=lambda p: p["_id"]):
        for member in pair["members"]:
            first_pair.setdefault(member, pair["_id"])
            partners.setdefault(member, []).extend(m for m in pair["members"] if m != member)
    return [{
        "_id": reminder_id(number, member), "kind": KIND, "chat_id": user["chat_id"],
        "user_id": member, "round": number, "not_before": announced_at + DELAY,
        "text": reminder_message(user, [users[p] for p in partners[member] if p in users]),
        # One row of buttons, as objects: FerretDB 1.x stores no arrays in arrays.
        "buttons": [{"text": MET, "data": button_data(first_pair[member], True)},
                    {"text": NOT_MET, "data": button_data(first_pair[member], False)}],
    } for member, user in linked.items() if member in first_pair]


async def unwanted(store: Store, message: dict) -> str | None:
    """Why a due reminder should not go out after all (None: it should):
    its chat is no longer the member's, or every pair is answered already."""
    user = await store.users.get(message["user_id"])
    if user is None or user.get("chat_id") != message["chat_id"]:
        return "the chat is no longer linked to the user"
    pairs = [p["_id"] for p in await store.pairs.for_user(message["user_id"])
             if p["round"] == message["round"]]
    answered = await store.feedback.for_user(message["user_id"])
    if pairs and all(p in answered for p in pairs):
        return "answered already"
    return None
