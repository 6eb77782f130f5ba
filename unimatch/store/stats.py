"""What organisers read about finished rounds beyond their summaries: the
answers students gave to "did you meet?", tallied by round."""

import dataclasses

from pymongo.asynchronous.database import AsyncDatabase

from unimatch.store._guard import translate_errors


@dataclasses.dataclass
class FeedbackTally:
    """One round's answers: ``answered`` (people who answered for at least
    one of their pairs), ``met`` (people who said they met at least one
    partner), ``ratings`` and ``rating_sum`` (over the answers with a rating)."""

    answered: int = 0
    met: int = 0
    ratings: int = 0
    rating_sum: int = 0


@translate_errors
class Stats:
    """Reads the ``feedback`` collection, which the feedback endpoints
    write: one document per person and pair, ``user_id``, ``pair_id``,
    ``round`` (the pair's round number), ``met`` (a boolean; nx-27017 reads
    one written by ``$set`` back as 0/1) and ``rating`` (1-5, or null or
    absent)."""

    def __init__(self, db: AsyncDatabase):
        self._feedback = db["feedback"]

    async def feedback_by_round(self) -> dict[int, FeedbackTally]:
        """Each round's tally; rounds without answers are absent."""
        # Tallied here rather than by an aggregation: a plain find is what
        # every engine answers alike, and a document per answer is small.
        answered: dict[int, set[int]] = {}
        met: dict[int, set[int]] = {}
        tallies: dict[int, FeedbackTally] = {}
        cursor = self._feedback.find({}, {"user_id": 1, "round": 1, "met": 1, "rating": 1})
        async for doc in cursor:
            number = doc["round"]
            tally = tallies.setdefault(number, FeedbackTally())
            answered.setdefault(number, set()).add(doc["user_id"])
            if doc.get("met"):
                met.setdefault(number, set()).add(doc["user_id"])
            if doc.get("rating") is not None:
                tally.ratings += 1
                tally.rating_sum += doc["rating"]
        for number, tally in tallies.items():
            tally.answered = len(answered[number])
            tally.met = len(met.get(number, ()))
        return tallies
