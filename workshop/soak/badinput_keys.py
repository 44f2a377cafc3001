"""Grammar, names and keys: good events, changeId spellings, key spellings, tombstones and wrong Kafka keys.

changeId spellings follow intake's documented rule (`_change_id`): a string or an integer, trimmed (Python's
`str.strip`, so any Unicode whitespace), that is then one of "1".."10". So `" 1"`, `1` and `"\\u00a05"` are
good, `"01"`, `1.0` and the fullwidth `"１"` are not. The contract says every scalar is a string and asks to
be lenient in; it fixes no rule for spacing or integers, so intake's rule is the reading taken here.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace

from workshop.soak.badinput_base import (
    BOM,
    TICKETS,
    UNSUPPORTED,
    Case,
    Draft,
    bad_case,
    good_case,
    rename,
    render,
    spliced,
)

# (JSON text of the value, what it reads as: a changeId, or None when it must be quarantined)
CHANGE_ID_SPELLINGS: tuple[tuple[str, str | None], ...] = (
    ('" 1"', "1"),
    ('"1 "', "1"),
    ("1", "1"),
    ('"\\t2\\n"', "2"),
    ("10", "10"),
    ('"10"', "10"),
    ('"\\u00a05"', "5"),  # no-break space: trimmed like any whitespace
    ('"\\u30003"', "3"),  # ideographic space, as a CJK keyboard types it
    ('"\\u0039"', "9"),  # an escaped digit is the digit
    ('"8"', UNSUPPORTED),
    ("8", UNSUPPORTED),
    ('"01"', None),
    ("1.0", None),
    ('"１"', None),  # fullwidth digit one
    ('"one"', None),
    ('""', None),
    ('"  "', None),
    ('"11"', None),
    ('"-1"', None),
    ("-1", None),
    ("0", None),
    ('"1.0"', None),
    ("1e0", None),
    ('"+1"', None),
    ('"0x1"', None),
    ('"一"', None),  # the CJK numeral one
    ('"1,2"', None),
    ('"1\\u0000"', None),  # NUL is not whitespace
    ('"1 2"', None),
)


def good(rng: random.Random, d: Draft) -> Case:
    """A good event as producers vary it: layout, escaping, `data` as a JSON string, BOM, extra fields."""
    if rng.random() < 0.3:
        d.envelope["occurredAt"] = f"20190802{rng.randrange(240000):06d}"
    if rng.random() < 0.1:
        d.envelope["producer"] = {"name": "wo-system", "version": 2}
    value = render(d.envelope, rng, data_as_string=rng.random() < 0.2)
    return good_case(d, "good", BOM + value if rng.random() < 0.05 else value)


def change_id_spelling(rng: random.Random, d: Draft) -> Case:
    text, reads_as = rng.choice(CHANGE_ID_SPELLINGS)
    kind = f"change-id-spelling:{text}"
    value = spliced(rng, d, "changeId", text.encode("utf-8"))
    if reads_as is None:
        return bad_case(d, kind, value)
    return replace(good_case(d, kind, value), unsupported=reads_as == UNSUPPORTED)


# (path, another spelling): intake matches names trimmed and case-folded (catalogue.find_key)
KEY_SPELLINGS: tuple[tuple[str, str], ...] = (
    ("changeId", "changeid"),
    ("changeId", "ChangeId"),
    ("changeId", " changeId "),
    ("data", "Data"),
    ("data", "DATA "),
    ("dataArea", "dataarea"),
    ("dataArea", "DataArea"),
    ("eventId", "EventID"),
    ("data.serviceOrderId", "serviceorderid"),
    ("data.serviceOrderId", "ServiceOrderId "),
    ("data.organId", "ORGANID"),
)


def key_spelling(rng: random.Random, d: Draft) -> Case:
    path, spelled = rng.choice(
        [(p, s) for p, s in KEY_SPELLINGS if p != "dataArea" or "dataArea" in d.envelope]
    )
    if path.startswith("data."):
        d.envelope["data"] = rename(d.data, path.removeprefix("data."), spelled)
    else:
        d.envelope = rename(d.envelope, path, spelled)
    return good_case(d, f"key-spelling:{json.dumps(spelled)}", render(d.envelope, rng))


def tombstone(rng: random.Random, d: Draft) -> Case:
    """A record without a value (a delete marker on a compacted topic, or a producer bug)."""
    key = rng.choice((d.ticket.encode(), b"", b"\xff\xfe", b"tombstone"))
    return bad_case(d, "tombstone", None, key=key)


def _wrong_keys(d: Draft) -> dict[str, bytes | None]:
    other = next(t for t in TICKETS if t != d.ticket)
    return {
        "none": None,
        "empty": b"",
        "other-ticket": other.encode(),
        "padded": f" {d.ticket} ".encode(),
        "quoted": f'"{d.ticket}"'.encode(),
        "not-utf8": b"\xff" + d.ticket.encode(),
        "utf16": d.ticket.encode("utf-16"),
        "event-id": d.event_id.encode(),
        "long": d.ticket.encode() * 500,
    }


def wrong_key(rng: random.Random, d: Draft) -> Case:
    """A good event under another Kafka key than its serviceOrderId: re-keyed by the worker, then routed."""
    name, key = rng.choice(sorted(_wrong_keys(d).items()))
    return replace(good_case(d, f"wrong-key:{name}", render(d.envelope, rng)), key=key)
