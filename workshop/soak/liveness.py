"""What the Deployment does for the soak's workers: a worker whose process ended by itself, or whose /health
names a stall, is started again (k8s/worker.yaml's liveness probe restarts a pod whose /health stays 503).

Every restart it makes is said and kept, for the soak's report: a restart that saved a run is a finding.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable

from workshop.local import LocalStack

STALLED = "routing stalled"


class Liveness:
    def __init__(self, stack: LocalStack, start: Callable[[str], None], say: Callable[[str], None]) -> None:
        self.stack = stack
        self.start_worker = start
        self.say = say
        self.lock = threading.Lock()  # held by whoever stops or starts a worker, the soak's faults included
        self.restarts: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak liveness", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(2.0):
            with self.lock:
                for name, worker in list(self.stack.workers.items()):
                    why = "exited" if not worker.alive() else self._stalled(name)
                    if why:
                        self.restarts.append(f"{name}: {why}")
                        self.say(f"soak: liveness restarts {name} ({why})")
                        worker.stop(sig=9)
                        self.start_worker(name)

    def _stalled(self, name: str) -> str | None:
        try:
            with urllib.request.urlopen(f"{self.stack.web(name)}/health", timeout=2):
                return None
        except urllib.error.HTTPError as exc:
            try:
                said = json.loads(exc.read() or b"{}")
            except ValueError:
                return None
            problems = said.get("problems", []) if isinstance(said, dict) else []
            return next((p for p in problems if isinstance(p, str) and p.startswith(STALLED)), None)
        except OSError:
            return None  # starting, or busy: not what a probe would act on at once
