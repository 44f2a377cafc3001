"""`wostream-dev bench profile`: where a route worker's time goes during P1's bulk run, by package.

py-spy samples the worker (`--nonblocking`, so the worker is never paused) while it routes P1's pre-loaded
events; each sample is charged to the innermost frame that belongs to a package we can act on (wostream's
own modules by layer, Faust, mode, aiokafka, the JSON codec…). A sample whose stack holds none of them, only
the standard library under the event loop, is the loop's own work (select, callbacks, timers).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from workshop.access import Access
from workshop.bench.harness import fresh_stack, preload, publish
from workshop.bench.throughput import corpus, subscriptions

# (label, path fragment of a frame's file): first match wins, innermost frame first
GROUPS = (
    ("wostream core (intake, routing, enrichment, masking)", "/wostream/core/"),
    ("wostream records (record formats)", "/wostream/records/"),
    ("wostream route pipeline", "/wostream/worker/route/"),
    ("wostream broker (batch writer, producer)", "/wostream/broker/"),
    ("wostream, other", "/wostream/"),
    ("JSON codec (simplejson)", "/simplejson/"),
    ("Faust (stream, event, acks, table)", "/faust/"),
    ("aiokafka (fetch, produce, protocol)", "/aiokafka/"),
    ("mode (services, timers)", "/mode/"),
    ("RocksDB store", "rocksdict"),
)
LOOP = "event loop (asyncio, selectors, ssl)"


def charge(stack: list[str]) -> str:
    """The group of a sample, its frames innermost first (`function (file:line)`)."""
    for frame in stack:
        for label, fragment in GROUPS:
            if fragment in frame:
                return label
    return LOOP if any("asyncio" in f or "selectors" in f for f in stack) else "other"


def summarise(collapsed: Iterable[str]) -> Counter[str]:
    """Samples per group from py-spy's raw (collapsed) output: `outer;...;inner count` per line."""
    counts: Counter[str] = Counter()
    for line in collapsed:
        stack, _, n = line.rstrip("\n").rpartition(" ")
        if stack and n.isdigit():
            counts[charge(stack.split(";")[::-1])] += int(n)
    return counts


def profile_route(access: Access, events: int, seconds: float) -> list[str]:
    """Pre-load `events`, start a route worker, sample it for `seconds` while it routes; report lines."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    work = Path(tempfile.mkdtemp(prefix="wostream-profile-"))
    stack = fresh_stack(access, work, partitions=8, push_partitions=1, ticket_memory=True, role="route")
    out = work / "route.collapsed"
    try:
        publish(stack, subscriptions(10))
        preload(stack.kafka, stack.settings.raw_topic, corpus(events))
        worker = stack.start_worker()
        stack.wait_ready(timeout=180)
        assert worker.pid is not None
        args = [spy, "record", "--nonblocking", "--full-filenames", "-r", "200", "-d", str(int(seconds))]
        args += ["-p", str(worker.pid), "--format", "raw", "-o", str(out)]
        subprocess.run(args, check=True, capture_output=True)
    finally:
        stack.stop()
    counts = summarise(out.read_text(encoding="utf-8").splitlines())
    total = sum(counts.values()) or 1
    lines = [f"route worker, P1 bulk ({events:,} events pre-loaded), {total:,} samples over {seconds:g} s:"]
    lines += [f"  {100 * n / total:5.1f} %  {label}" for label, n in counts.most_common()]
    return lines
