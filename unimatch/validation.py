"""Field validation with the original service's (DRF's) messages.

Each ``parse_*`` function takes a decoded JSON object and returns the clean
values, or raises :class:`FieldErrors` listing every bad field at once."""

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import Any, NoReturn

from unimatch.dialects import EARLIEST_BIRTH, V1, Dialect
from unimatch.errors import FieldErrors, MessageText

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
NOT_STRING = "Not a valid string."
NOT_BOOLEAN = "Must be a valid boolean."
BAD_EMAIL = "Enter a valid email address."
PAUSE_MAX_DAYS = 365
PAUSE_RANGE = "Date must be between today and one year from today."
BAD_TG_LINK = "Enter a Telegram username: @ and 5 to 32 letters, digits or underscores."
NULL_CHARACTERS = "Null characters are not allowed."
CONTROL_CHARACTERS = "Control characters are not allowed."

NAME_MAX = 150
EMAIL_MAX = 254
PASSWORD_MAX = 128
MAX_ID = 2**63  # MongoDB's int64: larger numbers cannot name any document
_MISSING = object()

# Django's EmailValidator, simplified to the common dot-atom form plus IDN domains.
_EMAIL_USER = re.compile(r"^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*\Z", re.I)
_EMAIL_DOMAIN = re.compile(
    r"^((?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)(?:[A-Z0-9-]{2,63}(?<!-))\Z", re.I)


BAD_DATE = V1.bad_date


class _Form:
    """Collects errors field by field so one answer lists them all."""

    def __init__(self, data: dict):
        self.data = data
        self.errors: dict[str, list[str]] = {}
        self.clean: dict = {}

    def field(self, name: str, parse: Callable[[Any], Any], *, required: bool = False,
              allow_null: bool = False, default: object = _MISSING) -> None:
        value = self.data.get(name, _MISSING)
        if value is _MISSING:
            if required:
                self.errors[name] = [REQUIRED]
            elif default is not _MISSING:
                self.clean[name] = default
            return
        if value is None:
            if allow_null:
                self.clean[name] = None
            else:
                self.errors[name] = [NOT_NULL]
            return
        try:
            self.clean[name] = parse(value)
        except FieldErrors as exc:
            self.errors[name] = exc.fields[name] if name in exc.fields else exc.fields["_"]

    def result(self) -> dict:
        if self.errors:
            raise FieldErrors(self.errors)
        return self.clean


def _fail(*messages: str) -> NoReturn:
    raise FieldErrors({"_": list(messages)})


def text(max_length: int = NAME_MAX, allow_blank: bool = True,
         strip: bool = True) -> Callable[[object], str]:
    """DRF's CharField: strings and numbers, trimmed, bounded."""
    def parse(value: object) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            _fail(NOT_STRING)
        value = str(value)
        if strip:
            value = value.strip()
        if not value and not allow_blank:
            _fail(NOT_BLANK)
        if len(value) > max_length:
            _fail(f"Ensure this field has no more than {max_length} characters.")
        return value
    return parse


def person_name(value: object) -> str:
    """A person's first or last name: a string (not a number, unlike DRF's
    CharField) without control characters (NUL, newlines, escapes: nothing
    a name holds, everything a log or a terminal misreads)."""
    if not isinstance(value, str):
        _fail(NOT_STRING)
    value = text()(value)
    if "\x00" in value:
        _fail(NULL_CHARACTERS)
    if any(unicodedata.category(c) == "Cc" for c in value):
        _fail(CONTROL_CHARACTERS)
    return value


def email(value: object) -> str:
    """A trimmed, valid address with its domain lowercased (Django's normalize_email)."""
    value = text(EMAIL_MAX, allow_blank=False)(value)
    user, sep, domain = value.rpartition("@")
    if not sep or not user or not _EMAIL_USER.match(user) or not _valid_domain(domain):
        _fail(BAD_EMAIL)
    return f"{user}@{domain.lower()}"


def _valid_domain(domain: str) -> bool:
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return bool(_EMAIL_DOMAIN.match(ascii_domain))


def _day(value: object, dialect: Dialect) -> dt.date | None:
    """A real date written in the dialect's format (ASCII digits); None for
    an empty string."""
    if not isinstance(value, str):
        _fail(dialect.bad_date)
    value = value.strip()
    if not value:
        return None
    if not re.fullmatch(dialect.date_pattern, value):
        _fail(dialect.bad_date)
    try:
        return dt.datetime.strptime(value, dialect.date_format).date()
    except ValueError:
        _fail(dialect.bad_date)


def birth_date(today: dt.date, dialect: Dialect = V1) -> Callable[[object], str | None]:
    """A birth date into an ISO date string: a real date from 1900 to
    ``today``. In v1 an empty string means "no date", as its clients send
    for an empty input."""
    def parse(value: object) -> str | None:
        day = _day(value, dialect)
        if day is None:
            if dialect.birth_may_be_empty:
                return None
            _fail(NOT_BLANK)
        if not EARLIEST_BIRTH <= day <= today:
            _fail(dialect.birth_range)
        return day.isoformat()
    return parse


def pause_date(today: dt.date, dialect: Dialect = V1) -> Callable[[object], str | None]:
    """The last day of a pause, from today to a year ahead, into an ISO
    date string; empty means no pause."""
    def parse(value: object) -> str | None:
        day = _day(value, dialect)
        if day is not None and not today <= day <= today + dt.timedelta(days=PAUSE_MAX_DAYS):
            _fail(PAUSE_RANGE)
        return None if day is None else day.isoformat()
    return parse


def tg_link(value: object) -> str | None:
    """A Telegram username as people write it, ``@name`` (5 to 32 letters,
    digits or underscores); empty means none."""
    if not isinstance(value, str):
        _fail(NOT_STRING)
    value = value.strip()
    if not value:
        return None
    if not re.fullmatch(r"@[A-Za-z0-9_]{5,32}", value):
        _fail(BAD_TG_LINK)
    return value


def hobby_ids(value: object) -> list[int]:
    """DRF's many=True PrimaryKeyRelatedField: a list of integer ids
    (existence is checked against the store afterwards)."""
    if not isinstance(value, list):
        _fail(f'Expected a list of items but got type "{_type_name(value)}".')
    return list(dict.fromkeys(pk(item) for item in value))


def pk(value: object) -> int:
    """DRF's PrimaryKeyRelatedField: an integer id, or its decimal digits
    (whether a document has it is checked against the store afterwards)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < MAX_ID:
        value = int(value)  # JSON has one kind of number: 2.0 is the id 2, as DRF found it
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        _fail(f"Incorrect type. Expected pk value, received {_type_name(value)}.")
    if isinstance(value, str):
        number = _decimal(value)
        if number is None:
            _fail(f'Invalid pk "{value}" - object does not exist.')
        value = number
    if not 1 <= value < MAX_ID:
        _fail(f'Invalid pk "{value}" - object does not exist.')
    return value


def id_in_path(text: str) -> int | None:
    """The id a path segment spells in decimal digits, or None when it
    spells none (whatever it holds: never an error, the path is a 404)."""
    number = _decimal(text)
    return number if number is not None and 1 <= number < MAX_ID else None


def _decimal(text: str) -> int | None:
    """The integer a string of decimal digits spells, else None (never raises)."""
    text = text.strip()
    if not text.isdecimal():  # not isdigit: "²" is a digit that int() refuses
        return None
    try:
        return int(text)
    except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
        return None


def boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    _fail(NOT_BOOLEAN)


def _type_name(value: object) -> str:
    return {dict: "dict", list: "list", str: "str", int: "int", float: "float",
            bool: "bool", type(None): "NoneType"}.get(type(value), type(value).__name__)


def unknown_hobbies_error(ids: list[int]) -> FieldErrors:
    return FieldErrors({"hobby": [f'Invalid pk "{ids[0]}" - object does not exist.']})


def check_registration(data: dict, today: dt.date,
                       dialect: Dialect = V1) -> tuple[dict, dict]:
    """The clean values of the valid registration fields, and the errors of
    the others (the checks that need several fields run on the former)."""
    form = _Form(data)
    form.field("email", email, required=True)
    form.field("password", text(PASSWORD_MAX, allow_blank=False, strip=False), required=True)
    form.field("first_name", person_name, default="", allow_null=True)
    form.field("last_name", person_name, default="", allow_null=True)
    form.field("birth", birth_date(today, dialect), default=None,
               allow_null=dialect.birth_may_be_empty)
    form.field("hobby", hobby_ids, default=[], allow_null=True)
    if dialect.has_tg_link:
        form.field("tg_link", tg_link, default=None, allow_null=True)
    for name, empty in (("first_name", ""), ("last_name", ""), ("hobby", [])):
        if name in form.clean and form.clean[name] is None:
            form.clean[name] = empty
    return form.clean, form.errors


def parse_login(data: dict) -> dict:
    form = _Form(data)
    form.field("email", text(EMAIL_MAX, allow_blank=False), required=True)
    form.field("password", text(PASSWORD_MAX, allow_blank=False, strip=False), required=True)
    return form.result()


def parse_profile_changes(data: dict, today: dt.date, dialect: Dialect = V1) -> dict:
    """A partial update: only the keys present are validated and returned;
    keys the user may not change are ignored, as DRF does."""
    form = _Form(data)
    form.field("first_name", person_name, allow_null=True)
    form.field("last_name", person_name, allow_null=True)
    form.field("birth", birth_date(today, dialect), allow_null=dialect.birth_may_be_empty)
    form.field("hobby", hobby_ids, allow_null=True)
    form.field("is_active_pair", boolean)
    form.field("paused_until", pause_date(today, dialect), allow_null=True)
    if dialect.has_tg_link:
        form.field("tg_link", tg_link, allow_null=True)
    clean = form.result()
    for name, empty in (("first_name", ""), ("last_name", ""), ("hobby", [])):
        if name in clean and clean[name] is None:
            clean[name] = empty
    return clean


def parse_hobby_update(data: dict) -> list[int]:
    form = _Form(data)
    form.field("hobby", hobby_ids, required=True)
    return form.result()["hobby"]


def parse_block(data: dict) -> int:
    """Whom to block: ``user``, an id (whether one may block it is the
    domain's to say)."""
    form = _Form(data)
    form.field("user", pk, required=True)
    return form.result()["user"]


def parse_refresh(data: dict) -> str:
    form = _Form(data)
    form.field("refresh", text(4096, allow_blank=False), required=True)
    return form.result()["refresh"]


# v2's reset and mail endpoints (djoser's and the original's own views).
REQUIRED_V2 = "Обязательное поле."
NO_MESSAGE = "No message"
_UNBOUNDED = 1 << 20  # the body limit bounds it


def parse_reset_request(data: dict) -> str:
    """The address a reset link is asked for."""
    form = _Form(data)
    form.field("email", email, required=True)
    return form.result()["email"]


def parse_reset_confirm(data: dict) -> dict:
    """``uid``, ``token`` and ``new_password`` as strings (their meaning is
    checked afterwards); each missing one is reported in Russian, as djoser
    did under the original's language setting."""
    form = _Form(data)
    form.field("uid", text(_UNBOUNDED, allow_blank=False), required=True)
    form.field("token", text(_UNBOUNDED, allow_blank=False), required=True)
    form.field("new_password", text(PASSWORD_MAX, allow_blank=False, strip=False),
               required=True)
    if form.errors:
        raise FieldErrors({name: [REQUIRED_V2 if m == REQUIRED else m for m in messages]
                           for name, messages in form.errors.items()})
    return form.clean


def parse_announcement(subject: object, markup: object) -> tuple[str, str]:
    """Staff's mail to everyone: a subject (one line: a header cannot hold
    line breaks) and HTML, both non-empty strings; else :class:`MessageText`."""
    if not isinstance(subject, str) or not isinstance(markup, str):
        raise MessageText(NO_MESSAGE)
    subject = " ".join(subject.replace("\x00", " ").split())
    if not subject or not markup.strip() or "\x00" in markup:
        raise MessageText(NO_MESSAGE)
    return subject, markup
