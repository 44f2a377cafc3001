"""Reference subscribers (`wostream subscriber`) as processes: what a test or a benchmark reads back is each
one's stdout, one envelope (or {context, message}) per line."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workshop.workload import poll


@dataclass
class SubscriberProcess:
    """A reference subscriber (`wostream subscriber`) whose stdout lines are the envelopes it received."""

    base_code: str
    out: Path
    err: Path
    proc: subprocess.Popen[bytes]

    def lines(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        text = self.out.read_text(encoding="utf-8")
        complete = text[: text.rfind("\n") + 1]  # a line still being written is read next time
        return [json.loads(line) for line in complete.splitlines() if line.strip()]

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8") if self.err.exists() else ""

    def wait_subscribed(self, timeout: float = 30.0) -> None:
        poll(
            lambda: "subscribed as" in self.stderr() or self.proc.poll() is not None,
            timeout,
            f"{self.base_code} to subscribe",
        )
        assert self.proc.poll() is None, f"subscriber {self.base_code} exited: {self.stderr()}"

    def wait_count(self, n: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        def enough() -> list[dict[str, Any]] | None:
            lines = self.lines()
            return lines if len(lines) >= n else None

        got: list[dict[str, Any]] = poll(enough, timeout, f"{n} messages at {self.base_code}")
        return got

    def stop(self) -> None:
        stop_group(self.proc)


def stop_group(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, 15)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait(timeout)
    except ProcessLookupError:
        pass
