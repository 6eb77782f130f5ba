""""Did you meet?": each member of a pair answers whether the meeting
happened (and, if it did, how it was, 1 to 5), from the API or from the
Telegram reminder's buttons, until the pair's round is four weeks old."""

import datetime as dt

from unimatch.errors import FeedbackClosed, FieldErrors, NotFound
from unimatch.store import Store
from unimatch.validation import NOT_BOOLEAN, REQUIRED

#: Answers are taken until the round's date plus this (service time zone).
OPEN_FOR = dt.timedelta(weeks=4)
NOT_INTEGER = "A valid integer is required."
RATING_RANGE = "Ensure this value is an integer from 1 to 5."
RATING_NEEDS_MET = "A rating can only be given with met: true."


def parse_answer(data: dict) -> tuple[bool, int | None]:
    """``met`` (a boolean, required) and ``rating`` (1 to 5, optional, null
    allowed, only with ``met: true``); raises :class:`FieldErrors` with
    every bad field."""
    problems: dict[str, list[str]] = {}
    met = data.get("met")
    if "met" not in data:
        problems["met"] = [REQUIRED]
    elif not isinstance(met, bool):
        problems["met"] = [NOT_BOOLEAN]
    rating = data.get("rating")
    if isinstance(rating, float) and rating.is_integer():
        rating = int(rating)  # JSON has one kind of number
    if rating is not None:
        if isinstance(rating, bool) or not isinstance(rating, int):
            problems["rating"] = [NOT_INTEGER]
        elif not 1 <= rating <= 5:
            problems["rating"] = [RATING_RANGE]
        elif met is False:
            problems["rating"] = [RATING_NEEDS_MET]
    if problems:
        raise FieldErrors(problems)
    return bool(met), rating


def is_open(pair: dict, today: dt.date) -> bool:
    """Whether answers about ``pair`` are still taken on ``today``."""
    return today < dt.date.fromisoformat(pair["created_at"]) + OPEN_FOR


async def own_pair(store: Store, user_id: int, pair_id: int) -> dict:
    """The pair ``pair_id`` if ``user_id`` is in it; else :class:`NotFound`
    (someone else's pair looks like no pair)."""
    pair = await store.pairs.get(pair_id)
    if pair is None or user_id not in pair["members"]:
        raise NotFound(pair_id)
    return pair


async def answer(store: Store, user_id: int, pair_id: int, data: dict, today: dt.date,
                 now: float) -> dict:
    """Record ``user_id``'s answer (``data``: the request body) about pair
    ``pair_id``; returns the pair. Raises :class:`FieldErrors`,
    :class:`NotFound` or :class:`FeedbackClosed`."""
    met, rating = parse_answer(data)
    pair = await own_pair(store, user_id, pair_id)
    if not is_open(pair, today):
        raise FeedbackClosed(pair_id)
    await store.feedback.record(user_id=user_id, pair_id=pair["_id"], round_no=pair["round"],
                                met=met, rating=rating, now=now)
    return pair


async def answer_round(store: Store, pair: dict, user_id: int, met: bool, today: dt.date,
                       now: float) -> int:
    """Record ``met`` for every pair of ``user_id`` in ``pair``'s round (a
    trio is met or not as a group): what a reminder's button does. A rating
    given earlier stays while ``met`` stays true. Returns how many pairs;
    raises :class:`FeedbackClosed`."""
    if not is_open(pair, today):
        raise FeedbackClosed(pair["_id"])
    mine = [p for p in await store.pairs.for_user(user_id) if p["round"] == pair["round"]]
    # Fresh: a rating given through another process a moment ago must stay.
    earlier = await store.feedback.for_user(user_id, fresh=True)
    for each in mine:
        before = earlier.get(each["_id"])
        rating = before["rating"] if met and before is not None and before["met"] else None
        await store.feedback.record(user_id=user_id, pair_id=each["_id"], round_no=each["round"],
                                    met=met, rating=rating, now=now)
    return len(mine)

