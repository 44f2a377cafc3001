"""Waiting for a burst of changes to end, so that a thousand changes cost one reaction, not a thousand."""

from __future__ import annotations

import asyncio


async def until_quiet(changed: asyncio.Event, seconds: float) -> None:
    """Returns once `changed` has been set and then not set again for `seconds` (and clears it)."""
    await changed.wait()
    while True:
        changed.clear()
        try:
            await asyncio.wait_for(changed.wait(), seconds)
        except TimeoutError:
            return
