"""The profile's charging of samples: the innermost frame of a package we can act on wins; stacks of the
standard library alone under the loop are the loop's."""

from __future__ import annotations

from workshop.bench.profile import LOOP, summarise

RUN = "run (/usr/lib/python3.11/asyncio/base_events.py:607)"
SELECT = "select (/usr/lib/python3.11/selectors.py:468)"
ROUTE = "route (/srv/.venv/lib/wostream/core/routing.py:120)"
PARSE = "loads (/srv/.venv/lib/simplejson/__init__.py:400)"
SEND = "send (/usr/lib/python3.11/socket.py:10)"
WRITE = "write (/srv/.venv/lib/aiokafka/conn.py:500)"


def test_samples_are_charged_to_the_innermost_package_we_can_act_on() -> None:
    collapsed = [
        f"{RUN};{ROUTE};{PARSE} 7",  # the codec, called by routing: the codec's
        f"{RUN};{ROUTE} 3",
        f"{RUN};{WRITE};{SEND} 5",  # a socket write under aiokafka: aiokafka's
        f"{RUN};{SELECT} 4",  # the standard library alone under the loop
        "garbage line",
    ]
    counts = summarise(collapsed)
    assert counts == {
        "JSON codec (simplejson)": 7,
        "wostream core (intake, routing, enrichment, masking)": 3,
        "aiokafka (fetch, produce, protocol)": 5,
        LOOP: 4,
    }
