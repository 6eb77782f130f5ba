"""Accounts: registration, profile changes and the Telegram link, as domain
functions that handlers call with the store and the password hasher."""

import datetime as dt

from unimatch import validation
from unimatch.auth.passwords import PasswordHasher, password_problems
from unimatch.errors import EmailTaken, FieldErrors, TelegramAuthInvalid, TelegramEmailMismatch
from unimatch.store import Store
from unimatch.store.users import NO_PASSWORD, email_key
from unimatch.telegram.login import WidgetLogin

EMAIL_TAKEN = "user with this email already exists."


async def register(store: Store, hasher: PasswordHasher, data: dict, now: dt.datetime,
                   today: dt.date, dialect: validation.Dialect = validation.V1) -> dict:
    """Validate ``data`` completely, then create the user in one write.

    Every problem is reported at once, as the original did; an email taken
    by a concurrent registration is reported the same way as one taken
    earlier."""
    clean, errors = validation.check_registration(data, today, dialect)
    if "password" in clean:
        attributes = {name: clean[name] for name in ("email", "first_name", "last_name")
                      if isinstance(clean.get(name), str)}
        problems = password_problems(clean["password"], attributes)
        if problems:
            errors["password"] = problems
    if "email" in clean and "email" not in errors and await store.users.email_taken(clean["email"]):
        errors["email"] = [EMAIL_TAKEN]
    if clean.get("hobby") and "hobby" not in errors:
        missing = await store.hobbies.missing(clean["hobby"])
        if missing:
            errors.update(validation.unknown_hobbies_error(missing).fields)
    if errors:
        raise FieldErrors(errors)
    password_hash = await hasher.hash(clean["password"])
    try:
        return await store.users.create(
            email=clean["email"], password_hash=password_hash, first_name=clean["first_name"],
            last_name=clean["last_name"], birth=clean["birth"], hobby=clean["hobby"],
            tg_link=clean.get("tg_link"), created_at=now.timestamp())
    except EmailTaken:
        raise FieldErrors({"email": [EMAIL_TAKEN]}) from None


async def update_profile(store: Store, user_id: int, data: dict, today: dt.date,
                         dialect: validation.Dialect = validation.V1) -> dict:
    """Validate a partial profile update and apply it atomically (all or nothing)."""
    changes = validation.parse_profile_changes(data, today, dialect)
    if changes.get("hobby"):
        missing = await store.hobbies.missing(changes["hobby"])
        if missing:
            raise validation.unknown_hobbies_error(missing)
    return await store.users.update(user_id, changes)


async def replace_hobbies(store: Store, user_id: int, data: dict) -> list[int]:
    """Replace the user's hobby set; returns the final ids, ascending."""
    ids = validation.parse_hobby_update(data)
    missing = await store.hobbies.missing(ids)
    if missing:
        raise validation.unknown_hobbies_error(missing)
    user = await store.users.update(user_id, {"hobby": ids})
    return user["hobby"]


#: Accounts made by Telegram sign-in get an address on a reserved domain
#: that no mail can reach (RFC 2606), never mailed and never a login.
PLACEHOLDER_DOMAIN = "telegram.unimatch.invalid"


def is_placeholder(address: str) -> bool:
    """Whether an account's email is a placeholder (see :data:`PLACEHOLDER_DOMAIN`)."""
    return address.lower().endswith("@" + PLACEHOLDER_DOMAIN)


async def sign_in_with_telegram(store: Store, login: WidgetLogin, payload: dict,
                                now: float) -> dict:
    """The account linked to a verified Telegram login, made on the spot
    (a placeholder address, no password, the payload's names) when there
    is none. A payload signs in once: replayed, it is :class:`TelegramAuthInvalid`."""
    if not await store.spent.spend("telegram-login", login.signature, login.valid_until):
        raise TelegramAuthInvalid()
    user = await store.users.by_chat(login.telegram_id)
    if user is not None:
        return user
    try:
        user = await store.users.create(
            email=f"telegram-{login.telegram_id}@{PLACEHOLDER_DOMAIN}", password_hash=NO_PASSWORD,
            first_name=_payload_name(payload.get("first_name")),
            last_name=_payload_name(payload.get("last_name")), created_at=now)
    except EmailTaken:  # made by a concurrent sign-in, or once linked and unlinked since
        found = await store.users.credentials(f"telegram-{login.telegram_id}@{PLACEHOLDER_DOMAIN}")
        if found is None:
            raise
        return await store.users.link_telegram(found[0], login.telegram_id)
    return await store.users.link_telegram(user["_id"], login.telegram_id)


def _payload_name(value: object) -> str:
    """A name from Telegram, fit for our fields (a string, no control
    characters, at most the field's length); anything else is left out."""
    try:
        return validation.person_name(value)
    except FieldErrors:
        return ""


async def link_telegram(store: Store, user: dict, login: WidgetLogin, claimed_email: object) -> dict:
    """Link a verified Telegram account to ``user``; returns the user.

    The original linked by the payload's ``email`` alone, so anyone could
    take over someone's match notices; here the caller's token decides, and
    an ``email`` naming anyone else is refused (:class:`TelegramEmailMismatch`).
    A payload links once: replayed, even by another account once the chat
    is free again, it is :class:`TelegramAuthInvalid`."""
    if claimed_email and (not isinstance(claimed_email, str)
                          or email_key(claimed_email) != email_key(user["email"])):
        raise TelegramEmailMismatch()
    if not await store.spent.spend("telegram-login", login.signature, login.valid_until):
        raise TelegramAuthInvalid()
    return await store.users.link_telegram(user["_id"], login.telegram_id)
