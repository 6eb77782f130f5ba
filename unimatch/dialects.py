"""What differs between the two API versions (v1, the seed contract; v2,
the original's later API): how dates are written, and which fields exist."""

import dataclasses
import datetime as dt

EARLIEST_BIRTH = dt.date(1900, 1, 1)


@dataclasses.dataclass(frozen=True)
class Dialect:
    """What differs between the two API versions' requests: the date
    format (``strftime``/``strptime`` form, its regular expression in ASCII
    digits, its name in messages), whether an empty or null birth date
    means "none" (v1) or is an error (v2), and whether ``tg_link`` exists."""

    date_format: str
    date_pattern: str
    date_label: str
    birth_may_be_empty: bool
    has_tg_link: bool

    @property
    def bad_date(self) -> str:
        return f"Date has wrong format. Use one of these formats instead: {self.date_label}."

    @property
    def birth_range(self) -> str:
        return f"Date must be between {EARLIEST_BIRTH.strftime(self.date_format)} and today."

    def format_date(self, iso: str) -> str:
        """An ISO date (as stored) in this dialect, zero-padded years included."""
        day = dt.date.fromisoformat(iso)
        return self.date_format.replace("%d", f"{day.day:02d}").replace(
            "%m", f"{day.month:02d}").replace("%Y", f"{day.year:04d}")


# [0-9], not \d: "２０" is a digit to Python but not to anyone's client.
V1 = Dialect("%d-%m-%Y", r"[0-9]{2}-[0-9]{2}-[0-9]{4}", "DD-MM-YYYY",
             birth_may_be_empty=True, has_tg_link=False)
V2 = Dialect("%Y-%m-%d", r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "YYYY-MM-DD",
             birth_may_be_empty=False, has_tg_link=True)
