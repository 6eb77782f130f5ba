"""The engines the store is proven on, by name: each a child server the
tests and ``bench/round.py`` start (nx-27017 on a Unix socket in its
private data directory, FerretDB on a free loopback port)."""

from typing import Protocol

from unimatch.store import ferretdb
from unimatch.store.embedded import EmbeddedMongo
from unimatch.store.ferretdb import FerretDB


class EngineServer(Protocol):
    """A database server in a child process, started in ``data_dir``."""

    async def start(self) -> str:
        """Launch it and wait until it answers; its URL."""
        ...

    def stop(self, timeout: float = 10.0) -> None: ...


class _EngineFactory(Protocol):
    def __call__(self, data_dir: str) -> EngineServer: ...


ENGINES: dict[str, _EngineFactory] = {"nx-27017": EmbeddedMongo, "ferretdb": FerretDB}


def available() -> list[str]:
    """nx-27017 (a Python dependency, always there) and FerretDB when
    ``make ferretdb`` has built it."""
    return ["nx-27017"] + (["ferretdb"] if ferretdb.version() else [])
