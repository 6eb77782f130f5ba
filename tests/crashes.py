"""Crashes and stalls of a round, through RoundService's one seam: the
checkpoint it awaits after each step (``unimatch.rounds.CLAIMED`` ...)."""

import asyncio


class Crash(Exception):
    """A simulated crash: the round stays claimed with its lease running,
    as after ``kill -9``; whatever the step wrote stays written."""


def crash_at(step: str):
    """A checkpoint that crashes right after ``step``."""
    async def checkpoint(reached: str, number: int) -> None:
        if reached == step:
            raise Crash(f"crashed after {step} of round {number}")
    return checkpoint


class Stall:
    """A checkpoint that holds the round after ``step`` until :meth:`resume`,
    as a process that stopped being scheduled; ``reached`` is set meanwhile."""

    def __init__(self, step: str):
        self.step = step
        self.reached = asyncio.Event()
        self._resume = asyncio.Event()

    async def __call__(self, reached: str, number: int) -> None:
        if reached == self.step:
            self.reached.set()
            await self._resume.wait()

    def resume(self) -> None:
        self._resume.set()
