"""The commands a Store's client sends, as PyMongo's command monitoring
reports them: what tests count round trips with and explain queries from."""

from pymongo import monitoring


class CommandLog(monitoring.CommandListener):
    """Every command started, in order, with its database and document; and
    the order in which commands started and ended, for counting round trips."""

    def __init__(self) -> None:
        self.commands: list[monitoring.CommandStartedEvent] = []
        self._events: list[tuple[str, tuple[str, str]]] = []  # ("start" | "end", command)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append(event)
        self._events.append(("start", (event.command_name, _collection(event))))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._events.append(("end", (event.command_name, "")))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._events.append(("end", (event.command_name, "")))

    def clear(self) -> None:
        self.commands.clear()
        self._events.clear()

    def round_trips(self) -> list[list[tuple[str, str]]]:
        """Since the last clear, the commands as their senders waited for
        them: each round trip the ``(command, collection)`` pairs that were
        on their way together (sent before any answer came back), sorted."""
        trips: list[list[tuple[str, str]]] = []
        answered = True
        for kind, command in self._events:
            if kind == "end":
                answered = True
            elif answered:
                trips.append([command])
                answered = False
            else:
                trips[-1].append(command)
        return [sorted(trip) for trip in trips]


def _collection(event: monitoring.CommandStartedEvent) -> str:
    if event.command_name == "getMore":
        return event.command["collection"]
    target = event.command.get(event.command_name)
    return target if isinstance(target, str) else ""
