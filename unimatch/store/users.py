"""User accounts. Documents keep the password hash; it never leaves the store
except through :meth:`Users.credentials`."""

import unicodedata
from collections.abc import Iterable, Sequence

import bson
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from unimatch.errors import EmailTaken, NotFound, TelegramIdTaken
from unimatch.store._guard import DocumentLocks, insert_new, translate_errors
from unimatch.store.counters import Counters
from unimatch.store.user_cache import UserCache

# Fields callers may change with Users.update (profile edits).
EDITABLE = frozenset({"first_name", "last_name", "birth", "hobby", "is_active_pair", "tg_link",
                      "paused_until"})

_NO_SECRETS = {"password": 0, "email_key": 0}
#: Stored as ``password`` for an account that has none (made by Telegram
#: sign-in): no bcrypt hash looks like it, so no password matches.
NO_PASSWORD = "!"
_FLAGS = ("is_active_pair", "is_staff")
#: The user document's kind in the :class:`UserCache`.
_DOC = "user"
#: Documents read for the copy come as the store sent them, kept as they are.
_AS_SENT = CodecOptions(document_class=RawBSONDocument)


def email_key(address: str) -> str:
    """The identity of an email address: what the unique index holds and
    what login looks up. NFKC before and after case folding, so lookalike
    spellings (the Kelvin sign "K", full-width letters, "ß") are one key
    with their plain forms; the address as typed is kept for display."""
    folded = unicodedata.normalize("NFKC", address.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


def _read(doc: dict) -> dict:
    """A user document as read back, without secrets.

    ``findAndModify`` cannot take a projection on FerretDB 1.x (it answers
    ``NotImplemented`` for ``fields``), so the secrets leave here rather
    than by projection on every path; nx-27017 stores a boolean written by
    ``$set`` as 0/1, which would reach clients as a number."""
    for secret in _NO_SECRETS:
        doc.pop(secret, None)
    for flag in _FLAGS:
        if flag in doc and doc[flag] is not None:
            doc[flag] = bool(doc[flag])
    return doc


def _new_user(user_id: int, *, email: str, password_hash: str, first_name: str = "",
              last_name: str = "", birth: str | None = None, hobby: Iterable[int] = (),
              tg_link: str | None = None, created_at: float) -> dict:
    """A new user's document."""
    return {
        "_id": user_id, "email": email, "email_key": email_key(email),
        "password": password_hash, "first_name": first_name, "last_name": last_name,
        "birth": birth, "hobby": sorted(set(hobby)), "chat_id": None, "image": None,
        "is_active_pair": True, "is_staff": False, "created_at": created_at,
        "tg_link": tg_link, "tokens_after": 0,
    }


@translate_errors
class Users:
    """A user document: ``_id`` (int), ``email``, ``email_key`` (casefolded,
    unique), ``password`` (bcrypt hash), ``first_name``, ``last_name``,
    ``birth`` (ISO date string or None), ``hobby`` (sorted ids), ``chat_id``
    (int or None), ``is_active_pair``, ``is_staff``, ``created_at`` (epoch s).

    Telegram links live in their own collection keyed by chat id, so that a
    chat id can belong to one user only on any MongoDB (a unique index on a
    nullable field would need a partial index, which nx-27017 ignores).

    Writes to one user document take its :class:`DocumentLocks` lock, so
    that concurrent edits of different fields all land on FerretDB too.

    :meth:`get` and :meth:`many` answer from this process's
    :class:`UserCache` when they can: a change made here shows at once,
    one made by another process after its next refresh (about a second).
    What decides a password or a reset link always reads the store."""

    def __init__(self, db: AsyncDatabase, counters: Counters, cache: UserCache):
        self._col = db["users"]
        self._as_sent = self._col.with_options(codec_options=_AS_SENT)
        self._links = db["telegram_links"]
        self._counters = counters
        self._cache = cache
        self._writes = DocumentLocks()

    async def ensure_indexes(self) -> None:
        await self._col.create_index("email_key", unique=True)

    async def create(self, *, email: str, password_hash: str, first_name: str = "",
                     last_name: str = "", birth: str | None = None,
                     hobby: Iterable[int] = (), tg_link: str | None = None,
                     created_at: float) -> dict:
        """Insert a new user in one write; raises :class:`EmailTaken` when the
        email is in use, also when a concurrent registration won the race."""
        doc = _new_user(await self._counters.next("users"), email=email,
                        password_hash=password_hash, first_name=first_name, last_name=last_name,
                        birth=birth, hobby=hobby, tg_link=tg_link, created_at=created_at)
        try:
            await self._col.insert_one(doc)
        except DuplicateKeyError as exc:
            raise EmailTaken(email) from exc
        doc.pop("password")
        doc.pop("email_key")
        return doc

    async def create_many(self, accounts: Sequence[dict], created_at: float) -> int:
        """Insert many new users in one write (imports, benches' seeding):
        each account is ``{"email", "password_hash"}`` plus any of
        :meth:`create`'s other fields. Emails already in use are skipped;
        returns how many were created. One id block for all of them, where
        :meth:`create` would claim one per user."""
        ids = await self._counters.allocate("users", len(accounts))
        docs = [_new_user(user_id, created_at=created_at, **account)
                for user_id, account in zip(ids, accounts, strict=True)]
        return await insert_new(self._col, docs)

    async def get(self, user_id: int, fresh: bool = False) -> dict | None:
        """The user without secrets, or None; ``fresh``: as the store has
        it now, never this process's copy (what decides a permission)."""
        found = await self.many([user_id], fresh=fresh)
        return found.get(user_id)

    async def email_taken(self, email: str) -> bool:
        # find_one on the unique key, not a count: nx-27017 answers counts
        # with a full scan, whatever the index.
        return await self._col.find_one({"email_key": email_key(email)}, {"_id": 1}) is not None

    async def credentials(self, email: str) -> tuple[int, str | None] | None:
        """``(user_id, password_hash)`` for a login email, or None; the hash
        is None for an account without a password."""
        doc = await self._col.find_one({"email_key": email_key(email)}, {"password": 1})
        if doc is None:
            return None
        hashed = doc.get("password")
        return doc["_id"], hashed if hashed and hashed != NO_PASSWORD else None

    async def password_hash(self, user_id: int) -> str | None:
        """The user's current password hash (None: none, or no such user):
        what a password reset token is bound to."""
        doc = await self._col.find_one({"_id": user_id}, {"password": 1})
        return None if doc is None else doc.get("password")

    async def for_reset(self, email: str) -> tuple[dict, str] | None:
        """The account with this email (case-insensitively; without secrets)
        and its current password hash, or None: what a reset link is made
        from and checked against."""
        return await self._with_password({"email_key": email_key(email)})

    async def for_reset_by_id(self, user_id: int) -> tuple[dict, str] | None:
        """As :meth:`for_reset`, by id."""
        return await self._with_password({"_id": user_id})

    async def _with_password(self, query: dict) -> tuple[dict, str] | None:
        doc = await self._col.find_one(query)
        if doc is None:
            return None
        hashed = doc.get("password") or NO_PASSWORD
        return _read(doc), hashed

    async def set_password(self, user_id: int, password_hash: str, now: float) -> None:
        """Replace the password and end every session: tokens issued before
        ``now`` are refused from here on (``tokens_after``). Raises :class:`NotFound`."""
        if await self._set(user_id, {"password": password_hash, "tokens_after": now}) is None:
            raise NotFound(user_id)

    async def update(self, user_id: int, changes: dict) -> dict:
        """Apply ``changes`` (keys from :data:`EDITABLE`) in one atomic write
        and return the updated user; raises :class:`NotFound`."""
        unknown = set(changes) - EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        changes = dict(changes)
        if "hobby" in changes:
            changes["hobby"] = sorted(set(changes["hobby"]))
        if not changes:
            doc = await self.get(user_id)
        else:
            doc = await self._set(user_id, changes)
        if doc is None:
            raise NotFound(user_id)
        return _read(doc)

    async def set_staff(self, email: str, staff: bool = True) -> dict:
        """Mark the account with this email as staff; raises :class:`NotFound`."""
        found = await self._col.find_one({"email_key": email_key(email)}, {"_id": 1})
        doc = None if found is None else await self._set(found["_id"], {"is_staff": staff})
        if doc is None:
            raise NotFound(email)
        return _read(doc)

    async def _set(self, user_id: int, changes: dict, *, before: bool = False) -> dict | None:
        """``$set`` on one user under its write lock: the document after the
        write (``before``: as it was), or None when there is no such user."""
        async with self._writes.hold(user_id), self._cache.changing(user_id):
            return await self._col.find_one_and_update(
                {"_id": user_id}, {"$set": changes},
                return_document=ReturnDocument.BEFORE if before else ReturnDocument.AFTER)

    async def participants(self, round_date: str) -> dict[int, frozenset[int]]:
        """Everyone taking part in the round of ``round_date`` (ISO): id to
        hobby ids. Opted out (``is_active_pair`` false) or paused until that
        date or later (``paused_until``, ISO): not taking part."""
        cursor = self._col.find({"is_active_pair": {"$ne": False}},
                                {"hobby": 1, "paused_until": 1})
        # The pause is compared here, not in the query: "missing, null or
        # earlier" is three cases, and nx-27017 reads $ne: null its own way.
        return {doc["_id"]: frozenset(doc.get("hobby") or ()) async for doc in cursor
                if not doc.get("paused_until") or doc["paused_until"] < round_date}

    async def linked(self) -> dict[int, dict]:
        """Users with a linked Telegram chat, by id (without secrets)."""
        # "$exists" too: nx-27017 counts a missing field as not null.
        cursor = self._col.find({"chat_id": {"$exists": True, "$ne": None}}, _NO_SECRETS)
        return {doc["_id"]: _read(doc) async for doc in cursor}

    async def addresses(self) -> list[tuple[int, str]]:
        """``(id, email)`` of every account, by id."""
        cursor = self._col.find({}, {"email": 1})
        return sorted([(doc["_id"], doc["email"]) async for doc in cursor])

    async def many(self, ids: Iterable[int], fresh: bool = False) -> dict[int, dict]:
        """Users by id (without secrets) for the ids that exist: those this
        process keeps without a round trip, the others in one (``fresh``:
        all of them)."""
        found: dict[int, dict] = {}
        missing = []
        for user_id in set(ids):
            kept = None if fresh else self._cache.get(_DOC, user_id)
            if kept is None:
                missing.append(user_id)
            else:
                found[user_id] = _read(kept)
        if missing:
            token = self._cache.token()
            query = {"_id": missing[0]} if len(missing) == 1 else {"_id": {"$in": missing}}
            async for sent in self._as_sent.find(query, _NO_SECRETS):
                raw = bytes(sent.raw)  # its own bytes, never a view of the whole reply
                doc = bson.decode(raw)
                self._cache.keep_bson(_DOC, doc["_id"], raw, token)
                found[doc["_id"]] = _read(doc)
        return found

    async def link_telegram(self, user_id: int, chat_id: int) -> dict:
        """Link a Telegram chat to this user (idempotent for the same pair).

        Raises :class:`TelegramIdTaken` when the chat belongs to someone else.
        A user who links a new chat drops the old link."""
        try:
            await self._links.insert_one({"_id": chat_id, "user_id": user_id})
        except DuplicateKeyError:
            owner = await self._links.find_one({"_id": chat_id})
            if owner is not None and owner["user_id"] != user_id:
                await self._reclaim_stale_link(chat_id, owner["user_id"], user_id)
        previous = await self._set(user_id, {"chat_id": chat_id}, before=True)
        if previous is None:
            await self._links.delete_one({"_id": chat_id, "user_id": user_id})
            raise NotFound(user_id)
        old = previous.get("chat_id")
        if old is not None and old != chat_id:
            await self._links.delete_one({"_id": old, "user_id": user_id})
        linked = await self.get(user_id)
        if linked is None:  # deleted in between
            raise NotFound(user_id)
        return linked

    async def _reclaim_stale_link(self, chat_id: int, owner_id: int, user_id: int) -> None:
        """Take over a link whose owner does not point back to the chat (a
        link written just before a crash); a live link raises TelegramIdTaken."""
        if await self._col.find_one({"_id": owner_id, "chat_id": chat_id}, {"_id": 1}) is not None:
            raise TelegramIdTaken(chat_id)
        taken = await self._links.find_one_and_update(
            {"_id": chat_id, "user_id": owner_id}, {"$set": {"user_id": user_id}})
        if taken is None:  # someone else reclaimed it first
            raise TelegramIdTaken(chat_id)

    async def by_chat(self, chat_id: int) -> dict | None:
        """The user a Telegram chat is linked to (without secrets), or None."""
        link = await self._links.find_one({"_id": chat_id})
        if link is None:
            return None
        # Fresh: a link just made by another process must be seen whole.
        user = await self.get(link["user_id"], fresh=True)
        # A link written just before a crash may name a user that does not
        # point back to the chat: that is no link.
        return user if user is not None and user.get("chat_id") == chat_id else None

    async def unlink_telegram(self, chat_id: int) -> int | None:
        """Forget a chat (the user blocked the bot); returns the user id or None."""
        link = await self._links.find_one_and_delete({"_id": chat_id})
        if link is None:
            return None
        async with self._writes.hold(link["user_id"]), self._cache.changing(link["user_id"]):
            await self._col.update_one({"_id": link["user_id"], "chat_id": chat_id},
                                       {"$set": {"chat_id": None}})
        return link["user_id"]
