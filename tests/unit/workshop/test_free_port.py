"""The workshop's ports are picked where no outgoing connection can take them before the server binds."""

from __future__ import annotations

import socket
from pathlib import Path

from workshop.stack import ephemeral_low, free_port


def test_ports_come_from_below_the_ephemeral_range_and_are_not_handed_out_twice() -> None:
    low = ephemeral_low()
    ports = [free_port() for _ in range(200)]
    assert all(10000 <= p < low for p in ports)
    assert len(set(ports)) == len(ports)


def test_a_port_someone_listens_on_is_skipped() -> None:
    taken = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", taken))
        s.listen()
        picked = {free_port(low=taken, high=taken + 2) for _ in range(10)}
    assert picked == {taken + 1}


def test_the_range_read_from_the_kernel_or_the_default(tmp_path: Path) -> None:
    given = tmp_path / "range"
    given.write_text("40000\t60999\n")
    assert ephemeral_low(given) == 40000
    assert ephemeral_low(tmp_path / "absent") == 32768
