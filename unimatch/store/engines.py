"""The engines the store is proven on, by name: each a child server the
tests and ``bench/round.py`` start on a free loopback port."""

from unimatch.store import ferretdb
from unimatch.store._child import ChildServer
from unimatch.store.embedded import EmbeddedMongo
from unimatch.store.ferretdb import FerretDB

ENGINES: dict[str, type[ChildServer]] = {"nx-27017": EmbeddedMongo, "ferretdb": FerretDB}


def available() -> list[str]:
    """nx-27017 (a Python dependency, always there) and FerretDB when
    ``make ferretdb`` has built it."""
    return ["nx-27017"] + (["ferretdb"] if ferretdb.version() else [])
