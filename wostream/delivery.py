"""Delivers each subscriber's topic to its live callback: ordered, isolated, at least once.

One aiokafka consumer (group `<app_id>-deliver`) subscribes to every `wo.push.*` topic by pattern, so a new
subscriber's topic is picked up without restarting or rebalancing Faust's agents. Each assigned partition
gets a *lane*: one task pushing its records strictly in offset order, one in flight. A partition's offset is
committed only up to the last record acknowledged by the subscriber or dead-lettered. An offline subscriber's
partitions are paused (nothing fetched, nothing retried or counted); a slow one only holds its own lanes.

Faust agents were not used here: their acks happen in a `finally:` whatever the outcome, a sleeping retry
stalls every rebalance, and agents cannot follow topics created after start (shared/notes/faust.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata

from wostream.directory import Directory, RetryState, callback_key, park_key, retry_key
from wostream.errors import Gone, PushError
from wostream.lanes import Breaker, Job, Lane, Record, ticket_of
from wostream.models import RetryPolicy
from wostream.retry import backoff, exhausted
from wostream.settings import Settings
from wostream.stats import Stats

log = logging.getLogger(__name__)

REVOKE_GRACE = 2.0  # seconds a revoked partition's in-flight push may take to finish
REPLAY_HEADERS = ("replayOf", "replayAt")
DEAD_HEADERS = ("reason", "attempts", "firstAttemptAt", "lastAttemptAt", "source")

Push = Callable[[str, str, dict[str, str], int], Awaitable[None]]


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self.delivery.drop_lanes(revoked)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.delivery.add_lanes(assigned)


class Delivery:
    def __init__(
        self, settings: Settings, directory: Directory, producer: AIOKafkaProducer, push: Push, stats: Stats
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.producer = producer
        self.push = push
        self.stats = stats
        self.lanes: dict[TopicPartition, Lane] = {}
        self.breakers: dict[str, Breaker] = {}
        self.online: dict[str, asyncio.Event] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self.default_policy = RetryPolicy(settings.retry_attempts, settings.retry_initial, settings.retry_max)
        directory.listeners.append(self._on_directory_change)

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka,
            group_id=f"{self.settings.app_id}-deliver",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=3000,
            max_partition_fetch_bytes=1 << 20,
            fetch_max_wait_ms=100,
        )
        await self._consumer.start()
        pattern = "^" + "".join("\\" + c if not c.isalnum() else c for c in self.settings.push_prefix) + ".*"
        self._consumer.subscribe(pattern=pattern, listener=_Rebalance(self))
        self._task = asyncio.create_task(self._fetch_loop(), name="wostream-delivery")

    async def stop(self) -> None:
        """Bounded drain: in-flight pushes are cancelled (redelivered later), done offsets committed."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.drop_lanes(list(self.lanes))
        if self._consumer is not None:
            await self._consumer.stop()

    # -- partitions -------------------------------------------------------------------------------------

    def add_lanes(self, tps: list[TopicPartition]) -> None:
        for tp in tps:
            base_code = self.settings.base_code_of(tp.topic)
            if base_code is None or tp in self.lanes:
                continue
            lane = Lane(tp, base_code)
            lane.task = asyncio.create_task(
                self._lane_loop(lane), name=f"wostream-lane-{tp.topic}-{tp.partition}"
            )
            self.lanes[tp] = lane
            self._sync_pause(lane)

    async def drop_lanes(self, tps: list[TopicPartition]) -> None:
        lanes = [self.lanes.pop(tp) for tp in tps if tp in self.lanes]
        tasks = []
        for lane in lanes:
            lane.stopping = True
            if lane.task is not None:
                lane.task.cancel()
                tasks.append(lane.task)
            for ticket, task in lane.tasks.items():
                if ticket not in lane.pushing:
                    task.cancel()
                tasks.append(task)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=REVOKE_GRACE)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._commit(lanes)

    def _on_directory_change(self, base_code: str) -> None:
        event = self.online.setdefault(base_code, asyncio.Event())
        if self.directory.online(base_code):
            event.set()
        else:
            event.clear()
        for lane in self.lanes.values():
            if lane.base_code == base_code:
                self._sync_pause(lane)

    def _sync_pause(self, lane: Lane) -> None:
        """Fetch for a partition only while its subscriber is online and its lane has room."""
        if self._consumer is None or lane.tp not in self._consumer.assignment():
            return
        want = not self.directory.online(lane.base_code) or lane.load >= self.settings.in_flight_per_partition
        if want and not lane.paused:
            self._consumer.pause(lane.tp)
        elif not want and lane.paused:
            self._consumer.resume(lane.tp)
        lane.paused = want

    # -- fetching and committing --------------------------------------------------------------------------

    async def _fetch_loop(self) -> None:
        assert self._consumer is not None
        last_commit = time.monotonic()
        while True:
            try:
                batches = await self._consumer.getmany(timeout_ms=200, max_records=2000)
            except KafkaError as exc:  # the consumer recovers by itself; never let the loop die
                log.error("fetching push topics failed, retrying: %s", exc)
                await asyncio.sleep(1.0)
                continue
            for tp, records in batches.items():
                lane = self.lanes.get(tp)
                if lane is None:
                    continue
                lane.queue.extend(records)
                lane.wake.set()
                self._sync_pause(lane)
            if time.monotonic() - last_commit >= self.settings.commit_interval:
                await self._commit(list(self.lanes.values()))
                last_commit = time.monotonic()

    async def _commit(self, lanes: list[Lane]) -> None:
        if self._consumer is None:
            return
        offsets = {
            lane.tp: OffsetAndMetadata(lane.done, "")
            for lane in lanes
            if lane.done is not None and lane.done != lane.committed
        }
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except Exception as exc:  # a lost commit only means redelivery; say so and go on
            log.warning("commit failed (events may be delivered again): %s", exc)
            return
        for lane in lanes:
            if lane.tp in offsets:
                lane.committed = lane.done

    # -- one partition -------------------------------------------------------------------------------------

    async def _lane_loop(self, lane: Lane) -> None:
        """Dispatch the partition's records, in offset order, to one chain per ticket."""
        while not lane.stopping:
            taken = lane.take(self.settings.tickets_in_flight)
            if taken is None:
                lane.wake.clear()
                await lane.wake.wait()
                continue
            ticket, new = taken
            if new:
                lane.tasks[ticket] = asyncio.create_task(self._chain_loop(lane, ticket))

    async def _chain_loop(self, lane: Lane, ticket: str) -> None:
        """One ticket's records, one at a time: per-ticket order, retries included."""
        while True:
            record = lane.chains[ticket][0]
            try:
                await self._deliver(lane, record)
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception:  # a bug must not silently stall the ticket: say so, try the record again
                log.exception("delivering %s:%d:%d failed unexpectedly", *lane.tp, record.offset)
                self.stats.failed(lane.base_code, "internal error (see the worker log)")
                await asyncio.sleep(1.0)
                continue
            empty = lane.finish(ticket)
            lane.wake.set()
            self._sync_pause(lane)
            if empty:
                del lane.tasks[ticket]
                return

    async def _wait_online(self, base_code: str) -> None:
        event = self.online.setdefault(base_code, asyncio.Event())
        if self.directory.online(base_code):
            event.set()
        await event.wait()

    async def _deliver(self, lane: Lane, record: Record) -> None:
        """Push one record until acknowledged or dead-lettered; offline time is not an attempt."""
        headers = {k: v.decode("utf-8", "replace") for k, v in (record.headers or ())}
        event_id = headers.get("eventId", f"{record.topic}:{record.partition}:{record.offset}")
        ticket = ticket_of(record)
        park = self.directory.parked.get((lane.base_code, ticket))
        if park is not None and not _replayed_after(headers, park.at):
            reason = f"parked: ticket {ticket} waits behind dead event {park.event_id}"
            await self._dead_letter(lane, record, event_id, 0, time.time(), reason, park=False)
            return
        memory = self._remembered(lane, record)
        job = Job(
            event_id,
            ticket,
            (record.value or b"").decode("utf-8", "replace"),
            self._policy(lane.base_code),
            memory.attempts if memory else 0,
            memory.first_at if memory else time.time(),
            memory is not None,
        )
        if memory and memory.next_at > time.time():
            await self._sleep(lane.base_code, memory.next_at - time.time())
        breaker = self.breakers.setdefault(lane.base_code, Breaker())
        while True:
            await self._wait_online(lane.base_code)
            if not breaker.failing:
                if await self._attempt(lane, record, job, breaker):
                    return
                continue
            async with breaker.probe:  # one probe at a time, its backoff included, while the subscriber fails
                if await self._attempt(lane, record, job, breaker):
                    return

    async def _attempt(self, lane: Lane, record: Record, job: Job, breaker: Breaker) -> bool:
        """One push and what follows from it; True when the record is done (acknowledged or dead)."""
        callback = self.directory.callback_for(lane.base_code)
        if callback is None:
            return False
        job.attempt += 1
        started = time.monotonic()
        error = await self._push_call(lane, job, callback.proxy)
        breaker.observe(error, job.ticket)
        if error is None:
            self.stats.delivered(lane.base_code, time.monotonic() - started)
            if job.attempt > 1 or job.remembered:
                await self._remember(lane, record, None)
            return True
        if isinstance(error, Gone):
            job.attempt -= 1  # the subscriber left: wait for it, do not count
            self.directory.apply_callback(callback_key(lane.base_code, callback.session), None)
            await self._forget_callback(lane.base_code, callback.session)
            return False
        if lane.stopping:  # revoked meanwhile: the partition's new owner retries it
            raise asyncio.CancelledError
        last_error = str(error) or type(error).__name__
        self.stats.failed(lane.base_code, last_error)
        if exhausted(job.attempt, job.policy):
            await self._dead_letter(
                lane, record, job.event_id, job.attempt, job.first_at, last_error, park=True
            )
            await self._remember(lane, record, None)
            return True
        delay = backoff(job.attempt, job.policy)
        log.info(
            "push to %s failed (event %s, attempt %d/%d): %s; retrying in %.1f s",
            lane.base_code,
            job.event_id,
            job.attempt,
            job.policy.attempts,
            last_error,
            delay,
        )
        state = RetryState(
            record.offset, job.event_id, job.attempt, job.first_at, time.time() + delay, last_error
        )
        await self._remember(lane, record, state)
        await self._sleep(lane.base_code, delay)
        return False

    async def _push_call(self, lane: Lane, job: Job, proxy: str) -> PushError | None:
        lane.pushing.add(job.ticket)
        try:
            context = {"eventId": job.event_id, "attempt": str(job.attempt)}
            await self.push(proxy, job.message, context, self.settings.push_timeout_ms)
        except PushError as exc:
            return exc
        finally:
            lane.pushing.discard(job.ticket)
        return None

    def _remembered(self, lane: Lane, record: Record) -> RetryState | None:
        return self.directory.retries.get((lane.tp.topic, lane.tp.partition, record.offset))

    async def _remember(self, lane: Lane, record: Record, state: RetryState | None) -> None:
        """Persist a record's schedule (None clears it) so any worker resumes it after a restart."""
        key = retry_key(lane.tp.topic, lane.tp.partition, record.offset)
        value = None if state is None else state.to_json()
        self.directory.apply_retry(key, value)
        try:
            await self.producer.send_and_wait(self.settings.retries_topic, key=key, value=value)
        except Exception as exc:  # losing the memory only means a fresh schedule after a restart
            log.warning("could not persist retry state of %s: %s", lane.tp, exc)

    async def _sleep(self, base_code: str, seconds: float) -> None:
        self.stats.retrying(base_code, +1)
        try:
            await asyncio.sleep(seconds)  # cancellable: a revoke never waits for it
        finally:
            self.stats.retrying(base_code, -1)

    def _policy(self, base_code: str) -> RetryPolicy:
        sub = self.directory.subscriptions.get(base_code)
        return sub.retry if sub is not None and sub.retry is not None else self.default_policy

    async def _forget_callback(self, base_code: str, session: str) -> None:
        """Tell every worker this callback is stale (tombstone), so none keeps pushing into the void."""
        try:
            await self.producer.send_and_wait(
                self.settings.callbacks_topic, key=callback_key(base_code, session), value=None
            )
        except Exception as exc:
            log.warning("could not publish stale callback of %s: %s", base_code, exc)

    async def _dead_letter(
        self,
        lane: Lane,
        record: ConsumerRecord[bytes, bytes],
        event_id: str,
        attempts: int,
        first_at: float,
        reason: str,
        park: bool,
    ) -> None:
        """Into the dead topic, in order; with `park`, the ticket's later events follow it there."""
        meta = {
            "eventId": event_id,
            "reason": reason,
            "attempts": str(attempts),
            "firstAttemptAt": _iso(first_at),
            "lastAttemptAt": _iso(time.time()),
            "source": f"{record.topic}:{record.partition}:{record.offset}",
        }
        headers = [(k, v.encode()) for k, v in meta.items()]
        headers += [(k, v) for k, v in (record.headers or ()) if k not in meta and k not in REPLAY_HEADERS]
        ticket = (record.key or b"").decode("utf-8", "replace")
        while True:
            try:
                if park:
                    key = park_key(lane.base_code, ticket)
                    value = json.dumps({"eventId": event_id, "at": time.time()}).encode()
                    await self.producer.send_and_wait(self.settings.retries_topic, key=key, value=value)
                    self.directory.apply_retry(key, value)
                await self.producer.send_and_wait(
                    self.settings.dead_topic(lane.base_code),
                    key=record.key,
                    value=record.value,
                    headers=headers,
                )
                break
            except Exception as exc:  # the dead topic must get it before the offset moves on
                log.error("dead-lettering %s for %s failed, retrying: %s", event_id, lane.base_code, exc)
                await asyncio.sleep(1.0)
        log.warning(
            "event %s of ticket %s dead-lettered for %s: %s", event_id, ticket, lane.base_code, reason
        )
        self.stats.dead(lane.base_code, reason)


def _replayed_after(headers: dict[str, str], parked_at: float) -> bool:
    """A replayed event passes a park set before its replay; one set during the replay holds it again."""
    try:
        return float(headers.get("replayAt", "")) > parked_at
    except ValueError:
        return False


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
