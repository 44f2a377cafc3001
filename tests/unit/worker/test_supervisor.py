"""The supervisor restarts loops that die and names them for /health; nothing dies silently."""

from __future__ import annotations

import asyncio

from wostream.worker.supervisor import Supervisor


async def test_a_loop_that_raises_is_restarted_and_reported() -> None:
    supervisor = Supervisor(window=60.0)
    runs: list[int] = []
    again = asyncio.Event()

    async def flaky() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RecursionError("maximum recursion depth exceeded")
        again.set()
        await asyncio.Event().wait()

    supervisor.spawn("config feed", flaky)
    await asyncio.wait_for(again.wait(), timeout=5)
    (problem,) = supervisor.problems()
    assert problem.startswith("config feed died ")
    assert problem.endswith("(1x so far): RecursionError: maximum recursion depth exceeded")
    await supervisor.stop()
    assert len(runs) == 2


async def test_a_forever_loop_that_returns_counts_as_a_crash() -> None:
    supervisor = Supervisor()
    returned = asyncio.Event()

    async def quits() -> None:
        returned.set()

    supervisor.spawn("delivery", quits)
    await asyncio.wait_for(returned.wait(), timeout=5)
    await asyncio.sleep(0)
    assert supervisor.problems()[0].endswith("returned although it should run for the worker's life")
    await supervisor.stop()


async def test_a_watched_task_that_dies_is_reported_and_a_cancelled_one_is_not() -> None:
    supervisor = Supervisor()

    async def boom() -> None:
        raise ValueError("bad lane")

    dying = asyncio.create_task(boom())
    supervisor.watch("delivery lane t:0", dying)
    cancelled = asyncio.create_task(asyncio.sleep(10))
    supervisor.watch("delivery lane t:1", cancelled)
    cancelled.cancel()
    await asyncio.gather(dying, cancelled, return_exceptions=True)
    await asyncio.sleep(0)
    assert [p.split(" died")[0] for p in supervisor.problems()] == ["delivery lane t:0"]


async def test_old_crashes_leave_the_window() -> None:
    supervisor = Supervisor(window=0.0)
    supervisor._record("config feed", "boom")
    await asyncio.sleep(0.01)
    assert supervisor.problems() == []
