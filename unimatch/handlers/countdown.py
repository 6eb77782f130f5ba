"""Time to the next round (endpoint 12)."""

from unimatch.handlers.base import BaseHandler

CONTRACT_KEYS = ("days_left", "hours_left", "minutes_left", "next_match_at")


class CountdownHandler(BaseHandler):
    def get(self) -> None:
        countdown = self.services.schedule.countdown(self.services.clock.now())
        self.send_json({key: countdown[key] for key in CONTRACT_KEYS})
