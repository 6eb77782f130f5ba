"""The original service's later API (v2), served under its own prefix
beside v1: the same store, accounts and tokens in v2's shapes (ISO dates,
hobby objects, ``{"error": ...}`` texts, the refresh token in a cookie).

``ROUTES`` are relative to the prefix (``--v2-prefix``, default ``v2/``)."""

from unimatch.handlers.admin import CreatePairsHandler, StatsHandler
from unimatch.handlers.blocks import BlockHandler, BlocksHandler
from unimatch.handlers.countdown import CountdownHandler
from unimatch.handlers.feedback import FeedbackV2Handler
from unimatch.handlers.hobbies import AllHobbiesHandler, HobbyTotalHandler, MyHobbiesHandler
from unimatch.handlers.telegram import LinkCodeHandler
from unimatch.handlers.v2 import accounts, pairs, reset, session, staff

ROUTES = (
    ("api/token/", session.LoginHandler),
    ("api/token/refresh/", session.RefreshHandler),
    ("api/token/blacklist/", session.LogoutHandler),
    ("api/token/verify/", session.VerifyHandler),
    ("api/access/httponly/", session.AccessFromCookieHandler),
    ("api/tg-auth/", session.TelegramSignInHandler),
    ("api/register/", accounts.RegisterHandler),
    ("api/auth/users/me/", accounts.MeHandler),
    ("api/update/user/", accounts.UpdateUserHandler),
    ("api/user-by-chat-id/([^/]+)/", accounts.UserByChatHandler),
    ("api/pairs/", pairs.PairsHandler),
    # v2 moved these paths, not their bodies: v1's handlers answer them.
    ("admin-api/create-pairs/", CreatePairsHandler),
    ("api/hobby/", MyHobbiesHandler),
    ("api/hobby/all/", AllHobbiesHandler),
    ("api/hobby/total/", HobbyTotalHandler),
    ("api/days-to-match/", CountdownHandler),
    # Reset by email and mail to everyone: v2 alone has them.
    ("api/auth/users/reset_password/", reset.ResetPasswordHandler),
    ("api/auth/users/reset_password_confirm/", reset.ResetPasswordConfirmHandler),
    ("admin-api/send/emails/", staff.SendEmailsHandler),
    # Blocks and stats came after both versions: one set of handlers, whose
    # errors are DRF's field errors, as v2's are outside registration.
    ("api/blocks/", BlocksHandler),
    ("api/blocks/([^/]+)/", BlockHandler),
    ("admin-api/stats/", StatsHandler),
    # "Did you meet?" (answered with v2's pairs item) and the bot's deep link.
    ("api/pairs/([^/]+)/feedback/", FeedbackV2Handler),
    ("api/tg-link-code/", LinkCodeHandler),
)
