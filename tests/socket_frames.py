"""Reading a WebSocket client connection's JSON frames in tests."""

import asyncio
import json


async def next_frame(conn, kind, timeout=5):
    """The next frame of type ``kind``, skipping ticks and others."""
    while True:
        raw = await asyncio.wait_for(conn.read_message(), timeout)
        assert raw is not None, f"socket closed ({conn.close_code}) waiting for {kind}"
        frame = json.loads(raw)
        if frame["type"] == kind:
            return frame
