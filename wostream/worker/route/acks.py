"""The route worker's consumer: routing sees each partition in log order, and only the route pipeline says a
raw event is done (Faust's own acknowledgements do not count).

Every event the agent is handed is judged by `core.read_order` first: one beyond the next expected offset of
its partition is routed only if the log really has nothing in between (`holes.py`; recorded as Faust's gap
then); otherwise Faust skipped records, and the partition is read again from the first of them. Faust's own
gap bookkeeping is off: it took such a jump for a hole and counted the skipped events as done (the soak lost
28 consecutive events of one partition that way). A batch fetched before a seek is not handed over after it,
and its partition is read again from where routing expects it.

Whatever routing refuses must be read again, or nothing brings it back after the last event of a burst: the
partition stands still with every event waiting until the worker is restarted (P4 in a CI run; 3 of 68 soak
runs, each time a partition just assigned). Events read after Faust's seek to the committed offsets can
reach the agent before the read order knows where the partition starts (it learns it when the seek returns;
with nothing committed Faust does not seek at all) and are refused then; so once it knows, every route
partition is sought there again.
Faust's fetch loop also drops, unseen, what is read below the offset it last handed over, and it sets that
offset once the agent has taken a message, so a seek made meanwhile was undone and the read again dropped:
the partition stood still for good (P4's benchmark, 2 of 4 partitions). Order is judged here, so that drop
is off for the route topics.

Faust's stream also acknowledges, without handing it to any agent, a message it skips: one read before a
rebalance (an older generation) or while the flow is stopped (faust-streaming 0.15.3, `Stream._py_aiter`:
`it.after(event, do_ack or value is skipped_value)`). Counted as done, such an offset could be committed
though the event was never routed (CI's soak lost 3 events for every subscriber). So this consumer ignores
Faust's acknowledgements and takes only the pipeline's (`hand_on`), in read order, once every record of the
event is confirmed.

Faust's commit rule is kept otherwise, with its one tolerance: the first offset done may be one past the
committed one. That is how it passes a transaction marker at the committed offset (its gap bookkeeping
records none there), and refusing it would stop a partition for good behind a transactional producer. It
is refused only when the committed offset is an event Faust skipped (no stream ever sees a marker) and
routing has not handed it on since.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from faust.transport.drivers import aiokafka as driver
from faust.types import TP

from wostream.core.read_order import Jump, ReadOrder, Refuse, Route
from wostream.worker.route.holes import LogHoles
from wostream.worker.route.patience import PatientConsumer, PatientProducer

log = logging.getLogger(__name__)


SAY_EVERY = 10.0  # seconds between two log lines about skipped messages (a rebalance skips a buffer's worth)


class RouteConsumer(PatientConsumer):
    holes: LogHoles | None = None  # set by the app: without it, no jump is taken for a hole
    route_topics: frozenset[str] = frozenset()  # set by the transport: the topics routing reads

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skipped = 0  # Faust's acknowledgements ignored: messages it skipped, read again later
        self._said = -SAY_EVERY
        self._skipped_at: dict[Any, set[int]] = {}  # offsets skipped and not handed on since, by partition
        self._read_order = ReadOrder()
        self._sought: dict[Any, int] = {}  # per route partition, seeks so far

    def ack(self, message: Any) -> bool:
        """What Faust's streams call: ignored (see the module's docstring)."""
        if not message.acked:
            self.skipped += 1
            self._unrouted(message.tp).add(message.offset)
            now = time.monotonic()
            if now - self._said >= SAY_EVERY:
                self._said = now
                log.info(
                    "Faust skipped %d events around rebalances so far (the last %s[%d] offset %d): "
                    "not counted as routed, they are read again",
                    self.skipped,
                    message.topic,
                    message.partition,
                    message.offset,
                )
        return False

    async def admit(self, message: Any) -> bool:
        """Whether the agent may route `message` now (see the module's docstring)."""
        tp = message.tp
        where = (tp.topic, tp.partition)
        order = self._read_order
        verdict = order.judge(where, message.offset)
        if isinstance(verdict, Jump):
            read = order.reads.get(where, 0)
            record = await _first_record(self.holes, tp, verdict.first, verdict.last)
            verdict = order.settle(where, message.offset, record, read)
            if isinstance(verdict, Refuse):
                log.warning(
                    "Faust handed over %s[%d] offset %d while %d was next: it is read again from there, "
                    "nothing routed out of order",
                    *where,
                    message.offset,
                    verdict.seek,
                )
        hole = None if isinstance(verdict, Jump) else verdict.hole
        if hole is not None:
            log.info("%s[%d] has no record at offsets %d-%d: passed", *where, *hole)
            await super()._add_gap(tp, *hole)
        if isinstance(verdict, Refuse) and verdict.seek is not None:
            await self._seek_again(tp, verdict.seek)
        return isinstance(verdict, Route)

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Any]]:  # noqa: ASYNC109  Faust's
        """Faust's, but what was fetched of a route partition before a seek of it is not handed over after
        it, and the partition is read again from where routing expects it (module docstring)."""
        sought = self._sought
        read_offset = self._read_offset
        before: dict[Any, int] | None = None
        read_again: set[Any] = set()
        async for tp, message in super().getmany(timeout):
            if before is None:  # the fetch has returned: what it read was read after any seek until now
                before = dict(sought)
            if tp.topic in self.route_topics:
                if sought.get(tp, 0) != before.get(tp, 0):
                    if tp not in read_again:
                        read_again.add(tp)
                        await self._read_again(tp)
                    continue
                read_offset[tp] = None  # Faust's drop below its read offset: off (module docstring)
            yield tp, message

    async def _read_again(self, tp: TP) -> None:
        """From where routing expects it (not at all while revoked: the rebalance's seek starts it)."""
        if (expected := self._read_order.expected.get((tp.topic, tp.partition))) is not None:
            await self._seek_again(tp, expected)

    async def _seek_again(self, tp: TP, offset: int) -> None:
        try:
            await self.seek(tp, offset)
        except Exception as exc:  # revoked meanwhile: the rebalance's own seek starts it again
            log.warning("could not read %s[%d] again: %r", tp.topic, tp.partition, exc)

    async def seek(self, partition: TP, offset: int) -> None:
        self._note_seek([partition])
        await super().seek(partition, offset)

    def _note_seek(self, partitions: Any) -> None:
        sought = self._sought
        for tp in partitions:
            if tp.topic in self.route_topics:
                sought[tp] = sought.get(tp, 0) + 1

    async def perform_seek(self) -> None:
        """Faust's seek to the committed offsets (after each rebalance): where each partition starts. Then
        each route partition is sought there again: what was read after Faust's seek but handed over before
        the read order knew where the partition starts was refused, and would not be read again."""
        self._note_seek(self.assignment())
        await super().perform_seek()
        committed = self._committed_offset
        self._read_order.restart({(tp.topic, tp.partition): committed.get(tp) for tp in self.assignment()})
        for tp in self.assignment():
            if tp.topic in self.route_topics:
                await self._read_again(tp)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        """Nothing of a revoked partition is routed nor committed until `perform_seek` starts it again."""
        self._read_order.close((tp.topic, tp.partition) for tp in revoked)
        await super().on_partitions_revoked(revoked)

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        """Off: a jump in what Faust read is judged by `admit`, which records the holes the log has."""

    def hand_on(self, message: Any) -> bool:
        """The route pipeline's acknowledgement: every record of the event is confirmed."""
        self._unrouted(message.tp).discard(message.offset)
        return bool(super().ack(message))

    def _new_offset(self, tp: Any) -> int | None:
        """Faust's, except past a committed offset whose event was skipped and is not handed on yet, and,
        where nothing is committed (Faust then takes any run of acknowledged offsets), past where the
        partition's read started: between a revocation and the seek that starts the partition again, no
        commit at all."""
        committed = self._committed_offset[tp]
        if committed is None and tp.topic in self.route_topics and not self._from_start(tp):
            return None
        unrouted = self._unrouted(tp)
        if committed is not None and unrouted:
            unrouted.difference_update([offset for offset in unrouted if offset < committed])
            if committed in unrouted:
                return None
        found: int | None = super()._new_offset(tp)
        return found

    def _from_start(self, tp: Any) -> bool:
        """Whether what is acknowledged of a partition with nothing committed begins where its read began
        (a hole the log has there counts: `admit` recorded it as Faust's gap)."""
        started = self._read_order.started.get((tp.topic, tp.partition))
        if started is None:
            return False
        lowest = [*self._acked[tp], *(interval.begin for interval in self._gap[tp])]
        return not lowest or min(lowest) - started <= 1

    def _unrouted(self, tp: Any) -> set[int]:
        return self._skipped_at.setdefault(tp, set())


async def _first_record(holes: LogHoles | None, tp: TP, first: int, last: int) -> int | None:
    if holes is None:
        return first  # no way to ask: assume a record, wait for it
    return await holes.first_record(tp.topic, tp.partition, first, last)


def explain(consumer: RouteConsumer, topic: str, partition: int) -> str:
    """What the consumer knows of a partition, for the line naming its stall: where routing expects it,
    what Faust committed and holds acknowledged, what it skipped, whether it is fetched at all."""
    tp = next((tp for tp in consumer.assignment() if (tp.topic, tp.partition) == (topic, partition)), None)
    if tp is None:
        return "not assigned here"
    acked = consumer._acked[tp]
    if tp in consumer._paused_partitions:
        fetched = "paused"
    else:
        active = "fetched" if tp in consumer._get_active_partitions() else "neither paused nor fetched"
        fetched = f"{active}, highwater {consumer.highwater(tp)}"
    count, low, high = len(acked), min(acked, default=None), max(acked, default=None)
    return (
        f"{consumer._read_order.describe((topic, partition))}; committed {consumer._committed_offset[tp]}; "
        f"{count} acknowledged (lowest {low}, highest {high}); "
        f"skipped by Faust and not routed since {sorted(consumer._unrouted(tp))[:5] or 'none'}; "
        f"{fetched}; flow {'on' if consumer.flow_active else 'stopped'}"
    )


class RouteTransport(driver.Transport):
    Consumer: ClassVar[type[RouteConsumer]] = RouteConsumer
    Producer: ClassVar[type[PatientProducer]] = PatientProducer

    def __init__(self, url: Any, app: Any, route_topics: frozenset[str]) -> None:
        super().__init__(url, app)
        self.route_topics = route_topics

    def create_consumer(self, callback: Any, **kwargs: Any) -> RouteConsumer:
        consumer = super().create_consumer(callback, **kwargs)
        assert isinstance(consumer, RouteConsumer)
        consumer.route_topics = self.route_topics
        return consumer
