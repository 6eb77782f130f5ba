"""Password hashing (bcrypt, off the event loop) and the original service's
password rules (Django's default validators, minimum length 4)."""

import asyncio
import concurrent.futures
import functools
import gzip
import importlib.resources
import os
import re
import threading
from collections.abc import Callable
from difflib import SequenceMatcher
from typing import Any, TypeVar

import bcrypt

from unimatch.errors import HashingBusy
from unimatch.metrics import Metrics

T = TypeVar("T")

MIN_LENGTH = 4
MAX_SIMILARITY = 0.7
# Django's AbstractUser attributes checked for similarity, with their labels.
_SIMILAR_ATTRIBUTES = (("first_name", "first name"), ("last_name", "last name"),
                       ("email", "email address"))


class PasswordHasher:
    """bcrypt with a configurable cost, off the event loop. Hashing takes
    ~0.25 s of a core at cost 12, so it runs in ``executor`` (the server's:
    a small thread pool that leaves the event loop a core; bcrypt releases
    the GIL, so its threads run beside the loop).

    ``capacity`` bounds the hashes in hand, running or waiting for a
    worker (None: no bound). Past it a hash is refused at once with
    :class:`HashingBusy` (503 and ``Retry-After``): a login storm then costs
    its excess a quick refusal, not seconds in a queue, and leaves the loop
    and the store to everyone else."""

    def __init__(self, rounds: int = 12, executor: concurrent.futures.Executor | None = None,
                 capacity: int | None = None, metrics: Metrics | None = None):
        self.rounds = rounds
        self._executor = executor
        self.capacity = capacity
        self.metrics = metrics if metrics is not None else Metrics()
        self.in_hand = 0  # hashes running or waiting for a worker
        # Checked against when the email is unknown, so a wrong email costs
        # the same time as a wrong password and does not reveal accounts.
        # Same cost as real hashes; made on first use, off the loop.
        self._dummy: str | None = None

    def refuse_when_full(self) -> None:
        """Raise :class:`HashingBusy` now if a hash would be refused: lets
        a login give up before it spends store round trips."""
        if self.capacity is not None and self.in_hand >= self.capacity:
            self.metrics.hash_shed()
            raise HashingBusy()

    async def hash(self, password: str) -> str:
        salt = bcrypt.gensalt(self.rounds)
        hashed = await self._run(bcrypt.hashpw, _encode(password), salt)
        return hashed.decode("ascii")

    async def verify(self, password: str, hashed: str | None) -> bool:
        """True when ``password`` matches ``hashed``; None checks a dummy."""
        if hashed is None:
            if self._dummy is None:
                self._dummy = await self.hash("unimatch-dummy-password")
            await self._run(bcrypt.checkpw, _encode(password), self._dummy.encode())
            return False
        return await self._run(bcrypt.checkpw, _encode(password), hashed.encode())

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        self.refuse_when_full()
        self.in_hand += 1
        self.metrics.hashes_in_hand(self.in_hand)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        finally:
            self.in_hand -= 1
            self.metrics.hashes_in_hand(self.in_hand)


def hashing_workers(cpus: int) -> int:
    """Threads for password hashing on ``cpus`` cores: all but one, which
    stays the event loop's (at least one)."""
    return max(1, cpus - 1)


#: How much nicer than the rest of the process a hashing thread runs.
HASHING_NICENESS = 10


def start_hashing_thread() -> None:
    """Run in each hashing thread as it starts: lower its priority, so that
    on a busy machine the event loop, the database and everything else go
    first and logins take the CPU that is left (the queue bound keeps them
    from piling up meanwhile). Linux gives each thread its own niceness;
    where that cannot be set, the thread keeps the process's."""
    try:
        me = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, me, os.getpriority(os.PRIO_PROCESS, me) + HASHING_NICENESS)
    except OSError:
        pass


def _encode(password: str) -> bytes:
    # bcrypt reads at most 72 bytes and bcrypt>=5 refuses longer input;
    # truncating keeps long passphrases usable with the same semantics.
    return password.encode("utf-8")[:72]


def password_problems(password: str, attributes: dict[str, str]) -> list[str]:
    """The messages of every rule ``password`` breaks, in Django's order."""
    problems = []
    similar = _similar_attribute(password, attributes)
    if similar:
        problems.append(f"The password is too similar to the {similar}.")
    if len(password) < MIN_LENGTH:
        problems.append("This password is too short. It must contain at least "
                        f"{MIN_LENGTH} characters.")
    if password.lower().strip() in _common_passwords():
        problems.append("This password is too common.")
    if password.isdigit():
        problems.append("This password is entirely numeric.")
    return problems


def _similar_attribute(password: str, attributes: dict[str, str]) -> str | None:
    password = password.lower()
    for name, label in _SIMILAR_ATTRIBUTES:
        value = attributes.get(name)
        if not value or not isinstance(value, str):
            continue
        value = value.lower()
        for part in re.split(r"\W+", value) + [value]:
            if _too_long_to_compare(password, part):
                continue
            if SequenceMatcher(a=password, b=part).quick_ratio() >= MAX_SIMILARITY:
                return label
    return None


def _too_long_to_compare(password: str, value: str) -> bool:
    # Django's shortcut: a much longer password cannot be "too similar".
    return len(password) >= 10 * len(value) and len(value) < MAX_SIMILARITY / 2 * len(password)


@functools.cache
def _common_passwords() -> frozenset[str]:
    data = importlib.resources.files("unimatch.data").joinpath("common-passwords.txt.gz")
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines)
