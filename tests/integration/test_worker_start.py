"""A worker whose Ice port is held (the pod before it on its way out, a wrong endpoint in the ConfigMap)."""

from __future__ import annotations

import socket

from workshop.local import LocalStack
from workshop.workload import poll


def test_a_held_ice_port_is_named_on_health_and_the_worker_starts_once_it_is_free(stack: LocalStack) -> None:
    """A CI run lost a worker with a traceback to "Address already in use"; now it waits, and says why."""
    port = stack.adapter_ports[0]
    holder = socket.socket()
    holder.bind(("127.0.0.1", port))
    holder.listen()
    try:
        stack.start_router()
        worker = stack.start_worker()

        def held() -> list[str] | None:
            status, body = stack.health()
            found = body.get("problems", [])
            return found if status == 503 and found and "Ice adapter" in found[0] else None

        problems = poll(held, 90, "/health naming the held Ice port")
        assert problems == [
            f"the Ice adapter cannot listen on ssl -h 127.0.0.1 -p {port}: Address already in use"
        ]
        assert worker.alive()
        holder.close()
        stack.wait_ready(timeout=60)
        log = stack.log("w1")
        assert "Traceback" not in log, log[-3000:]
        assert 1 <= log.count("the Ice adapter cannot listen on") <= 20, "one line a try, not a storm"
    finally:
        holder.close()
