"""Staff operations of v2 that v1 lacks: mail to everyone (endpoint 20)."""

from unimatch import errors, validation
from unimatch.handlers.base import BaseHandler


class SendEmailsHandler(BaseHandler):
    """Queues staff's message to every account with a real address; the
    answer counts what was queued (the server sends it shortly)."""

    auth_required = True

    async def post(self) -> None:
        await self.require_staff()
        if self.services.mail is None:
            raise errors.MailNotConfigured()
        body = self.json_body()
        subject, markup = validation.parse_announcement(body.get("subject"),
                                                        body.get("html_message"))
        queued = await self.services.mail.announcement(subject, markup)
        self.send_json({"SEND_COUNT": str(queued)})
