"""The commands a Store's client sends, as PyMongo's command monitoring
reports them: what tests count round trips with and explain queries from."""

from pymongo import monitoring


class CommandLog(monitoring.CommandListener):
    """Every command started, in order, with its database and document."""

    def __init__(self) -> None:
        self.commands: list[monitoring.CommandStartedEvent] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append(event)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def clear(self) -> None:
        self.commands.clear()

    def round_trips(self) -> list[tuple[str, str]]:
        """``(command, collection)`` of every command since the last clear."""
        return [(event.command_name, _collection(event)) for event in self.commands]


def _collection(event: monitoring.CommandStartedEvent) -> str:
    if event.command_name == "getMore":
        return event.command["collection"]
    target = event.command.get(event.command_name)
    return target if isinstance(target, str) else ""
