"""A subscriber process that only counts: the benchmarks' receiving end, so the client is not what is timed.

    python -m workshop.bench.sink --router PROXY --ca CA --secret-env VAR [--batch] [--mark M] \
        --expect N CODE...

Logs in once per baseCode (one communicator each, as separate systems would), prints `subscribed CODE` for
each, then counts every message; with the producer's send time in the body (`sentAt`), keeps each message's
latency. With `--mark M`, prints `mark M <time>` when the M-th message arrives (a phase of a benchmark ends).
Once `--expect` messages have arrived in all it prints one JSON line of figures and exits.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from typing import Any

import Ice

from wostream.config.settings import ETC
from wostream.ice.contract import BatchSubscriber, Subscriber
from wostream.reference.subscriber import connect_once

SENT_AT = re.compile(r'sentAt\\*":\\*"([0-9.]+)')


class Counter:
    def __init__(self, expect: int, mark: int = 0) -> None:
        self.expect = expect
        self.mark = mark
        self.lock = threading.Lock()
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.latencies: list[float] = []
        self.done = threading.Event()

    def took(self, messages: list[str]) -> None:
        now = time.time()
        with self.lock:
            if not self.count:
                self.first = now
            self.count += len(messages)
            self.last = now
            for message in messages:
                found = SENT_AT.search(message)
                if found:
                    self.latencies.append(now - float(found.group(1)))
            if self.mark and self.count - len(messages) < self.mark <= self.count:
                print(f"mark {self.mark} {now:.6f}", flush=True)
            if self.count >= self.expect:
                self.done.set()


class Plain(Subscriber):  # type: ignore[misc]
    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    def push(self, message: str, current: Ice.Current) -> None:
        self.counter.took([message])


class Batched(BatchSubscriber):  # type: ignore[misc]
    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    def push(self, message: str, current: Ice.Current) -> None:
        self.counter.took([message])

    def pushBatch(self, messages: list[str], current: Ice.Current) -> None:
        self.counter.took(list(messages))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--router", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--secret-env", required=True)
    parser.add_argument("--batch", action="store_true")
    parser.add_argument("--expect", type=int, required=True)
    parser.add_argument("--mark", type=int, default=0)
    parser.add_argument("codes", nargs="+")
    args = parser.parse_args(argv)
    counter = Counter(args.expect, args.mark)
    props = [
        f"--Ice.Config={ETC / 'subscriber.properties'}",
        f"--IceSSL.CAs={args.ca}",
        f"--Ice.Default.Router={args.router}",
    ]
    communicators: list[Any] = []
    try:
        for code in args.codes:
            communicator = Ice.initialize(list(props))  # initialize takes the Ice options out of its list
            communicators.append(communicator)
            servant = Batched(counter) if args.batch else Plain(counter)
            connect_once(communicator, code, os.environ[args.secret_env], servant)
            print(f"subscribed {code}", flush=True)
        counter.done.wait()
        figures = {"count": counter.count, "first": counter.first, "last": counter.last}
        print(json.dumps({**figures, "latencies": counter.latencies}), flush=True)
        return 0
    finally:
        for communicator in communicators:
            communicator.destroy()


if __name__ == "__main__":
    sys.exit(main())
