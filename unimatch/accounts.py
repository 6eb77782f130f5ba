"""Accounts: registration, login and profile changes, as domain functions
that handlers call with the store and the password hasher."""

from unimatch import validation
from unimatch.auth.passwords import password_problems
from unimatch.auth.tokens import ACCESS
from unimatch.errors import BadCredentials, EmailTaken, FieldErrors, InvalidToken

EMAIL_TAKEN = "user with this email already exists."


async def register(store, hasher, data: dict, now: float) -> dict:
    """Validate ``data`` completely, then create the user in one write.

    Every problem is reported at once, as the original did; an email taken
    by a concurrent registration is reported the same way as one taken
    earlier."""
    clean, errors = validation.check_registration(data)
    if "password" in clean:
        problems = password_problems(clean["password"], {
            "email": clean.get("email"), "first_name": clean.get("first_name"),
            "last_name": clean.get("last_name")})
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
            created_at=now)
    except EmailTaken:
        raise FieldErrors({"email": [EMAIL_TAKEN]}) from None


async def user_for_access_token(store, tokens, token) -> dict:
    """The user an access token belongs to; raises :class:`InvalidToken` for
    a bad, expired or wrong-type token or one whose user no longer exists.
    REST requests and sockets authenticate through this one check."""
    claims = tokens.decode(token, ACCESS)
    user = await store.users.get(claims["user_id"])
    if user is None:
        raise InvalidToken()
    return user


async def authenticate(store, hasher, data: dict) -> int:
    """The user id for a correct email and password; raises :class:`BadCredentials`."""
    clean = validation.parse_login(data)
    found = await store.users.credentials(clean["email"])
    hashed = found[1] if found else None
    if not await hasher.verify(clean["password"], hashed):
        raise BadCredentials()
    return found[0]


async def update_profile(store, user_id: int, data: dict) -> dict:
    """Validate a partial profile update and apply it atomically (all or nothing)."""
    changes = validation.parse_profile_changes(data)
    if changes.get("hobby"):
        missing = await store.hobbies.missing(changes["hobby"])
        if missing:
            raise validation.unknown_hobbies_error(missing)
    return await store.users.update(user_id, changes)


async def replace_hobbies(store, user_id: int, data: dict) -> list[int]:
    """Replace the user's hobby set; returns the final ids, ascending."""
    ids = validation.parse_hobby_update(data)
    missing = await store.hobbies.missing(ids)
    if missing:
        raise validation.unknown_hobbies_error(missing)
    user = await store.users.update(user_id, {"hobby": ids})
    return user["hobby"]
