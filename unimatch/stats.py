"""Statistics for organisers: per finished round, who took part, how the
groups came out, and what students answered to "did you meet?"."""

from unimatch.store import Store
from unimatch.store.stats import FeedbackTally

#: The table's columns: (key, heading, how a value is written).
_COLUMNS = (("round", "round", "{}"), ("created_at", "date", "{}"),
            ("participants", "participants", "{}"), ("groups", "groups", "{}"),
            ("trios", "trios", "{}"), ("repeats", "repeats", "{}"),
            ("sharing_share", "common hobby", "{:.1%}"), ("answered_share", "answered", "{:.1%}"),
            ("met_share", "met", "{:.1%}"), ("mean_rating", "rating", "{:.2f}"))


async def round_stats(store: Store) -> list[dict]:
    """One row per finished round, the latest (highest number) first; see
    :func:`stats_row`."""
    tallies = await store.stats.feedback_by_round()
    return [stats_row(summary, tallies.get(summary["round"], FeedbackTally()))
            for summary in await store.rounds.summaries()]


def stats_row(summary: dict, tally: FeedbackTally) -> dict:
    """A round's row: from its summary ``round``, ``created_at`` (the
    round's date), ``participants``, ``groups``, ``trios``, ``repeats``;
    ``sharing_share``, the share of groups in which two share a hobby;
    ``answered_share``, the share of the round's members (everyone in a
    group) who answered "did you meet?" for a pair of it, 0 when nobody
    did; ``met_share``, of those who answered, the share who met at least
    one partner, null when nobody answered; ``mean_rating``, the mean of
    the ratings given, null when none was. Shares are fractions from 0 to
    1, unrounded (the table rounds); a share of nothing (no groups) is null."""
    groups = summary.get("groups", 0)
    members = 2 * groups + summary.get("trios", 0)
    return {
        "round": summary["round"],
        "created_at": summary["created_at"],
        "participants": summary.get("participants", 0),
        "groups": groups,
        "trios": summary.get("trios", 0),
        "repeats": summary.get("repeats", 0),
        "sharing_share": _share(summary.get("sharing_groups", 0), groups),
        "answered_share": _share(tally.answered, members),
        "met_share": _share(tally.met, tally.answered),
        "mean_rating": tally.rating_sum / tally.ratings if tally.ratings else None,
    }


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def stats_table(rows: list[dict]) -> str:
    """The rows as a plain-text table (``-`` for a null), one line per
    round under a heading; a line saying so when there is no round yet."""
    if not rows:
        return "no finished rounds yet"
    cells = [[heading for _, heading, _ in _COLUMNS]]
    for row in rows:
        cells.append(["-" if row[key] is None else form.format(row[key])
                      for key, _, form in _COLUMNS])
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]
    # The date reads best left-aligned, the figures right-aligned.
    return "\n".join("  ".join(cell.ljust(width) if i == 1 else cell.rjust(width)
                               for i, (cell, width) in enumerate(zip(line, widths, strict=True)))
                     .rstrip() for line in cells)
