"""When the garbage collector runs, in a process that holds thousands of
sockets.

CPython's collector finds reference cycles by walking every container in
the generations it collects; its oldest generation holds every open
socket's objects (about a hundred each), so at 10,000 sockets one full
pass holds the event loop for most of a second, and request traffic or
Tornado's pings set one off every few minutes. The sockets' objects are
long-lived and rarely garbage, so this policy keeps them out of the
collector's way:

- automatic collections stop at the younger generations (they walk only
  what was allocated lately, a few milliseconds at most);
- every second :meth:`Collector.check` collects what is not frozen (what
  survived the young collections of the last second: a millisecond or so)
  and freezes the survivors (``gc.freeze``: the permanent generation,
  which no pass walks), so every pass stays that short however many
  sockets are open. Most survivors are still alive, or die without a
  cycle (Tornado's pings leave a sleeping future per socket for 20
  seconds, freed by reference counting when it is done);
- a frozen object that becomes cyclic garbage (a closed socket's, or a
  request's that was in flight at a check) waits for a *reclaim*, a pass
  over everything, frozen or not: it runs when as many sockets closed as
  are open (so it walks about as much as it may free: at the end of a
  spike, when few are left, it is short; a closed socket leaves about
  forty such objects), or when the memory in use doubled beyond what the
  open sockets explain. That pass is the one long stop left, and it is
  logged with its duration.

Objects that are not containers, and containers that are garbage without
a cycle, are freed by reference counting the moment they are dropped,
frozen or not: none of this delays them."""

import gc
import logging
import sys
import time

from unimatch.ws.hub import Hub

logger = logging.getLogger(__name__)

# Automatic collections: CPython's thresholds for the two young
# generations, and one for the oldest that is never reached.
YOUNG_THRESHOLDS = (700, 10)
NEVER = 2**30
# A reclaim when at least this many sockets closed (and at least as many as are open) ...
RECLAIM_MIN_CLOSED = 1000
# ... or when the memory blocks in use (sys.getallocatedblocks, cheap:
# it counts per arena, not per object) grew past RECLAIM_GROWTH times
# their number after the last reclaim, beyond BLOCKS_PER_SOCKET for each
# socket more than were open then: garbage no pass has walked.
RECLAIM_GROWTH = 2
BLOCKS_PER_SOCKET = 300


class Collector:
    """The garbage collection policy, driven by the hub's socket counts."""

    def __init__(self, hub: Hub):
        self.hub = hub
        self._thresholds = gc.get_threshold()
        # At the last reclaim: hub.closed, the sockets open, the blocks in use.
        self._closed = self._open = self._blocks = 0

    def start(self) -> None:
        """Freeze what startup built (modules, the app, the store's client)
        and stop automatic full passes."""
        gc.set_threshold(*YOUNG_THRESHOLDS, NEVER)
        self._reclaim()

    def stop(self) -> None:
        """Hand the collector back as it was: everything collectable again."""
        gc.unfreeze()
        gc.set_threshold(*self._thresholds)

    def check(self) -> None:
        """The periodic entry point (every second)."""
        if not gc.isenabled():
            # A round's alerts have the collector paused (alerts.py): their
            # many young objects are not to be walked now.
            return
        if self._reclaim_due():
            self._reclaim()
            return
        gc.collect()  # what is not frozen: the last second's survivors
        gc.freeze()

    def _reclaim_due(self) -> bool:
        if self.hub.closed - self._closed >= max(RECLAIM_MIN_CLOSED, len(self.hub)):
            return True
        explained = BLOCKS_PER_SOCKET * max(0, len(self.hub) - self._open)
        return sys.getallocatedblocks() > RECLAIM_GROWTH * self._blocks + explained

    def _reclaim(self) -> None:
        started = time.perf_counter()
        gc.unfreeze()
        freed = gc.collect()
        gc.freeze()
        self._closed, self._open = self.hub.closed, len(self.hub)
        self._blocks = sys.getallocatedblocks()
        logger.info("garbage collection over every object: %d freed, %.0f ms with %d sockets "
                    "open", freed, 1000 * (time.perf_counter() - started), len(self.hub))
