"""v2's registration and current user: ISO dates, hobby objects,
``tg_link``, and registration errors as one ``error`` text."""

from unimatch import accounts, errors
from unimatch.dialects import V2
from unimatch.handlers.base import BaseHandler
from unimatch.handlers.v2.session import SessionHandler
from unimatch.validation import BAD_EMAIL, MAX_ID
from unimatch.wire import user_v2

EMAIL_TAKEN = "Пользователь с таким email уже существует"
EMAIL_MALFORMED = "Введите правильный адрес электронной почты"
BIRTH_PROBLEM = "Проблема с полем ввода даты рождения"
PASSWORD_PROBLEM = "Пароль либо слишком простой, либо содержит меньше 4 символов"
UNEXPECTED = "Произошла непредвиденная ошибка"
# The original reported the first failing field, taken in this order.
_FIELD_ORDER = ("first_name", "last_name", "email", "birth", "hobby", "password", "tg_link")


def registration_error(fields: dict[str, list[str]]) -> str:
    """The one text v2 answers for a refused registration: that of the
    first failing field, as the web client shows it."""
    field = next((name for name in _FIELD_ORDER if name in fields), None)
    if field == "email":
        messages = fields["email"]
        if accounts.EMAIL_TAKEN in messages:
            return EMAIL_TAKEN
        return EMAIL_MALFORMED if BAD_EMAIL in messages else UNEXPECTED
    return {"birth": BIRTH_PROBLEM, "password": PASSWORD_PROBLEM}.get(field or "", UNEXPECTED)


class RegisterHandler(SessionHandler):
    async def post(self) -> None:
        s = self.services
        try:
            data = self.json_body()
        except errors.NotAnObject:
            raise errors.ErrorMessage(UNEXPECTED) from None
        try:
            user = await accounts.register(s.store, s.hasher, data, s.clock.now(), self.today(), V2)
        except errors.FieldErrors as exc:
            raise errors.ErrorMessage(registration_error(exc.fields)) from None
        names = await s.store.hobbies.names()
        self.start_session(s.tokens.pair(user["_id"]), 201, user=user_v2(user, names))


class UpdateUserHandler(BaseHandler):
    """PATCH of the current user's profile; alone it is ``api/update/user/``,
    the original's documented alias."""

    auth_required = True

    async def patch(self) -> None:
        s = self.services
        user = await accounts.update_profile(s.store, self.current_user["_id"], self.json_body(),
                                             self.today(), V2)
        self.send_json(user_v2(user, await s.store.hobbies.names()))


class MeHandler(UpdateUserHandler):
    """GET and PATCH only: v2 has no POST here (v1 has), nor PUT or DELETE."""

    async def get(self) -> None:
        names = await self.services.store.hobbies.names()
        self.send_json(user_v2(self.current_user, names))


class UserByChatHandler(BaseHandler):
    """Staff: the account linked to a Telegram chat."""

    auth_required = True

    async def get(self, chat_id: str) -> None:
        await self.require_staff()
        user = None
        if chat_id.isascii() and chat_id.isdecimal() and int(chat_id) < MAX_ID:  # int64 in the store
            user = await self.services.store.users.by_chat(int(chat_id))
        if user is None:
            raise errors.NotFound()
        self.send_json(user_v2(user, await self.services.store.hobbies.names()))
