"""The route worker's consumer: routing sees each partition in log order, and only the route pipeline says a
raw event is done (Faust's own acknowledgements do not count).

Every event the agent is handed is judged by `core.read_order` first: one beyond the next expected offset
of its partition (Faust dropped the ones between, around a rebalance) is not routed, and the partition is
read again from the expected offset; a hole the log really has is recorded as Faust's gap once the read
again shows it. Faust's own gap bookkeeping is off: it took such a jump for a hole and counted the events
skipped as done.

Faust commits a partition up to what is acknowledged. Its stream also acknowledges, without handing it to
any agent, a message it skips: one read before a rebalance (an older generation) or while the flow is
stopped (faust-streaming 0.15.3, `Stream._py_aiter`: `it.after(event, do_ack or value is skipped_value)`).
Acknowledged after the partition came back, such a message's offset counts as done though the event was
never routed; a worker that dies, or a partition that moves, before the message is read again then loses it.
CI's soak lost 3 events for every subscriber that way across a broker restart and worker restarts.

So the route worker's consumer ignores Faust's acknowledgements and takes only the pipeline's (`hand_on`),
which come in read order once every record of the event is confirmed. A skipped message is read again from
the committed offset after the rebalance, as Faust intends; should it not be, its partition stops
committing, which the route watch reports (a stall, restarted by the liveness probe), never a gap.

Faust's commit rule is kept otherwise, with its one tolerance: the first offset done may be one past the
committed one. That is how it passes a transaction marker at the committed offset (its gap bookkeeping
records none there), and refusing it would stop a partition for good behind a transactional producer. It
is refused only when the committed offset is an event Faust skipped (no stream ever sees a marker) and
routing has not handed it on since: skipped while the flow was stopped, with the next one routed just after
it resumed, that event would otherwise be committed past before it is read again.
"""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

from faust.transport.drivers import aiokafka as driver
from faust.types import TP

from wostream.core.read_order import ReadAgain, ReadOrder

log = logging.getLogger(__name__)


SAY_EVERY = 10.0  # seconds between two log lines about skipped messages (a rebalance skips a buffer's worth)


class RouteConsumer(driver.Consumer):
    skipped = 0  # Faust's acknowledgements ignored: messages it skipped, read again later
    _said = -SAY_EVERY
    _skipped_at: dict[Any, set[int]] | None = None  # offsets skipped and not handed on since, by partition
    _read_order: ReadOrder | None = None
    reads_again = 0  # times a partition was read again for a hole in what Faust handed over

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
        """Whether the agent may route `message` now (else its partition is read again from where it must)."""
        tp = message.tp
        verdict = self._order().judge((tp.topic, tp.partition), message.offset)
        if not isinstance(verdict, ReadAgain):
            if verdict.hole is not None:
                await super()._add_gap(tp, *verdict.hole)
            return True
        if verdict.offset is not None:
            self.reads_again += 1
            log.warning(
                "Faust handed over %s[%d] offset %d while offset %d was next: that partition is read again "
                "from %d, nothing routed out of order",
                tp.topic,
                tp.partition,
                message.offset,
                verdict.offset,
                verdict.offset,
            )
            try:
                await self.seek(tp, verdict.offset)
            except Exception as exc:  # revoked meanwhile: the rebalance's own seek starts it again
                log.warning("could not read %s[%d] again: %r", tp.topic, tp.partition, exc)
        return False

    async def perform_seek(self) -> None:
        """Faust's seek to the committed offsets (after each rebalance): where each partition starts."""
        await super().perform_seek()
        at = {(tp.topic, tp.partition): self._read_offset.get(tp) for tp in self.assignment()}
        self._order().restart(at)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        """A partition that comes back starts again at its committed offset (`perform_seek`)."""
        self._order().restart({(tp.topic, tp.partition): None for tp in revoked})
        await super().on_partitions_revoked(revoked)

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        """Off: a jump in what Faust read is judged by `admit`, which records the holes the log has."""

    def _order(self) -> ReadOrder:
        if self._read_order is None:
            self._read_order = ReadOrder()
        return self._read_order

    def hand_on(self, message: Any) -> bool:
        """The route pipeline's acknowledgement: every record of the event is confirmed."""
        self._unrouted(message.tp).discard(message.offset)
        return bool(super().ack(message))

    def _new_offset(self, tp: Any) -> int | None:
        """Faust's, except past a committed offset whose event was skipped and is not handed on yet."""
        committed = self._committed_offset[tp]
        unrouted = self._unrouted(tp)
        if committed is not None and unrouted:
            unrouted.difference_update([offset for offset in unrouted if offset < committed])
            if committed in unrouted:
                return None
        found: int | None = super()._new_offset(tp)
        return found

    def _unrouted(self, tp: Any) -> set[int]:
        if self._skipped_at is None:
            self._skipped_at = {}
        return self._skipped_at.setdefault(tp, set())


class RouteTransport(driver.Transport):
    Consumer: ClassVar[type[RouteConsumer]] = RouteConsumer
