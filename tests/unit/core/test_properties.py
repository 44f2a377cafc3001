"""Properties of routing over generated subscriptions and events (hypothesis).

An independent oracle decides who should receive what; routing must agree, never leak a masked field,
give the same answer twice, and turn any malformed input into a result instead of an exception.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import simplejson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workshop.workload import example_files
from wostream.core.catalogue import norm
from wostream.core.enrichment import enrich
from wostream.core.intake import MAX_DEPTH, MAX_EVENT_BYTES
from wostream.core.masking import mask
from wostream.core.models import WILDCARD, IdKind, IdMaps, RouteResult, Subscription
from wostream.core.routing import Memory, SubscriptionIndex, route

SETTINGS = settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
EXAMPLES = example_files()

AREAS = ["fwwt", "10008", "other"]
CHANGE_IDS = [str(i) for i in range(1, 11)]
ORGANS = ["671024", "o1", "o2"]
COMMUNITIES = ["c1", "c2"]
KEYS = [
    "contactTel",
    "contacttel ",
    "CONTACTTEL",
    "userTel",
    "UserTel ",
    "userId",
    "userid",
    "userName",
    "remark",
    "x",
    "userType",
]
MASKS = [
    "contactTel",
    "currentUser[].userTel",
    "currentUser.userName",
    "supUser[].userId",
    "remark",
    "x.userTel",
    "userTel",
    "currentUser[].eUserId",
    "eCommunityId",
]


def _with_wildcard(values: list[str]) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from([*values, WILDCARD]), max_size=3)


subscriptions = st.lists(
    st.builds(
        Subscription,
        base_code=st.sampled_from([f"S{i}" for i in range(12)]),
        name=st.just("n"),
        secret_hash=st.just("h"),
        data_areas=_with_wildcard(AREAS),
        change_ids=_with_wildcard(CHANGE_IDS),
        organ_ids=_with_wildcard(ORGANS),
        community_ids=_with_wildcard(COMMUNITIES),
        mask=st.lists(st.sampled_from(MASKS), max_size=4).map(tuple),
        enabled=st.booleans(),
    ),
    max_size=8,
)

scalars = st.one_of(st.text(max_size=8), st.sampled_from(["1", "2", "94781", "c1"]), st.integers(-5, 5))
leaf_objects = st.dictionaries(st.sampled_from(KEYS), scalars, max_size=4)
field_values = st.one_of(
    scalars,
    leaf_objects,
    st.lists(st.one_of(leaf_objects, scalars), max_size=3),
    # a nested value the producer sent as a JSON string: masks apply inside it too
    st.lists(leaf_objects, max_size=2).map(simplejson.dumps),
)


@st.composite
def events(draw: st.DrawFn) -> tuple[bytes, dict[str, Any]]:
    """A routable raw event and what the oracle needs to know about it."""
    body: dict[str, Any] = {"serviceOrderId": draw(st.sampled_from(["1", "2", 3]))}
    body.update(
        draw(
            st.dictionaries(
                st.sampled_from([*KEYS, "currentUser", "currentuser", "supUser"]), field_values, max_size=6
            )
        )
    )
    organ = draw(st.none() | st.sampled_from(ORGANS))
    community = draw(st.none() | st.sampled_from(COMMUNITIES))
    if organ is not None:
        body["organId"] = organ
    if community is not None:
        body["communityId"] = community
    area = draw(st.sampled_from(AREAS))
    change_id = draw(st.sampled_from(CHANGE_IDS))
    envelope: dict[str, Any] = {"changeId": draw(st.sampled_from([change_id, int(change_id)]))}
    if draw(st.booleans()):
        envelope["dataArea"] = area
    else:
        body["templateCode"] = area
    envelope["data"] = simplejson.dumps(body) if draw(st.booleans()) else body
    facts = {"area": area, "change_id": change_id, "organ": organ, "community": community}
    return simplejson.dumps(envelope).encode(), facts


idmaps = st.builds(
    lambda entries: _maps(entries),
    st.lists(
        st.tuples(
            st.sampled_from([f"S{i}" for i in range(12)]),
            st.sampled_from(list(IdKind)),
            st.sampled_from(["1", "2", "94781", "c1", "c2"]),
            st.text(min_size=1, max_size=5),
        ),
        max_size=10,
    ),
)


def _maps(entries: list[tuple[str, IdKind, str, str]]) -> IdMaps:
    maps = IdMaps()
    for code, kind, ours, theirs in entries:
        maps.put(code, kind, ours, theirs)
    return maps


def _covers(values: frozenset[str], value: str) -> bool:
    return WILDCARD in values or value in values


def _verdict(s: Subscription, facts: dict[str, Any]) -> str:
    """ "receive", "unscoped" or "no" for one subscription, straight from the contract."""
    if not s.enabled or facts["change_id"] == "8":
        return "no"
    if not (_covers(s.data_areas, facts["area"]) and _covers(s.change_ids, facts["change_id"])):
        return "no"
    if WILDCARD in s.organ_ids or WILDCARD in s.community_ids:
        return "receive"
    if not (s.organ_ids or s.community_ids):
        return "no"
    if facts["organ"] in s.organ_ids or facts["community"] in s.community_ids:
        return "receive"
    # nothing known matches; if an id the subscription scopes by is missing, nobody can tell
    if (s.organ_ids and facts["organ"] is None) or (s.community_ids and facts["community"] is None):
        return "unscoped"
    return "no"


def _oracle(subs: list[Subscription], facts: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(baseCodes that must receive the event, baseCodes whose scope cannot be checked)."""
    verdicts = {code: _verdict(s, facts) for code, s in {s.base_code: s for s in subs}.items()}
    return (
        {code for code, v in verdicts.items() if v == "receive"},
        {code for code, v in verdicts.items() if v == "unscoped"},
    )


def _present(value: Any, names: list[str]) -> bool:
    """Whether a key chain leniently matching `names` exists, looking through arrays at every level."""
    if not names:
        return True
    if isinstance(value, str) and value.lstrip().startswith(("[", "{")):
        try:
            return _present(simplejson.loads(value), names)
        except ValueError:
            return False
    if isinstance(value, list):
        return any(_present(item, names) for item in value)
    if isinstance(value, dict):
        return any(_present(v, names[1:]) for k, v in value.items() if k.strip().lower() == names[0])
    return False


@SETTINGS
@given(subs=subscriptions, event=events(), maps=idmaps)
def test_deliveries_match_the_oracle_and_masks_hold(
    subs: list[Subscription], event: tuple[bytes, dict[str, Any]], maps: IdMaps
) -> None:
    raw, facts = event
    result = route(raw, None, SubscriptionIndex(subs), maps)
    receive, unscoped = _oracle(subs, facts)
    assert [d.base_code for d in result.copies] == sorted(receive)
    assert result.unsupported == (facts["change_id"] == "8")
    if unscoped:
        assert len(result.quarantine) == 1 and all(code in result.quarantine[0] for code in unscoped)
    else:
        assert result.quarantine == ()
    by_code = {s.base_code: s for s in subs}
    for delivery in result.copies:
        outer = simplejson.loads(delivery.envelope.decode("utf-8"))
        assert list(outer) == ["baseCode", "dataArea", "changeId", "data"]
        assert (outer["dataArea"], outer["changeId"]) == (facts["area"], facts["change_id"])
        data = simplejson.loads(outer["data"])
        for path in by_code[delivery.base_code].mask:
            names = [n.replace("[]", "").strip().lower() for n in path.split(".")]
            assert not _present(data, names), path


@SETTINGS
@given(subs=subscriptions, event=events(), maps=idmaps, seed=st.randoms(use_true_random=False))
def test_routing_is_deterministic(
    subs: list[Subscription], event: tuple[bytes, dict[str, Any]], maps: IdMaps, seed: Any
) -> None:
    raw, _ = event
    first = route(raw, None, SubscriptionIndex(subs), maps)
    # Same subscriptions in another order (keeping which duplicate comes last) must not change anything.
    latest = list({s.base_code: s for s in subs}.values())
    seed.shuffle(latest)
    again = route(raw, None, SubscriptionIndex(latest), maps)
    assert first == again == route(raw, None, SubscriptionIndex(subs), maps)


def _assert_handled(result: RouteResult) -> None:
    assert isinstance(result, RouteResult)
    if result.event_id is None and not result.unsupported:
        assert result.quarantine and all(r and "\n" not in r for r in result.quarantine)
    if result.quarantine:
        assert all(isinstance(r, str) and r.strip() and "\n" not in r for r in result.quarantine)


EVERYTHING = SubscriptionIndex(
    [
        Subscription(
            "ALL",
            "all",
            "h",
            frozenset({WILDCARD}),
            frozenset({WILDCARD}),
            frozenset({WILDCARD}),
            mask=("contactTel",),
        ),
        Subscription("ORG", "org", "h", frozenset({WILDCARD}), frozenset({WILDCARD}), frozenset({"671024"})),
    ]
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@SETTINGS
@given(raw=st.binary(max_size=300), key=st.none() | st.binary(max_size=10))
def test_random_bytes_never_raise(raw: bytes, key: bytes | None) -> None:
    _assert_handled(route(raw, key, EVERYTHING, IdMaps()))


@SETTINGS
@given(example=st.sampled_from(EXAMPLES), cut=st.integers(min_value=0, max_value=2000))
def test_truncated_examples_never_raise(example: Path, cut: int) -> None:
    raw = example.read_bytes()
    _assert_handled(route(raw[: cut % len(raw)], None, EVERYTHING, IdMaps()))


@SETTINGS
@given(
    change_id=json_values | st.sampled_from(["1", "8", 8, "10"]),
    area=json_values,
    data=json_values,
    extra=st.dictionaries(st.text(max_size=5), json_values, max_size=3),
)
def test_wrong_types_never_raise(change_id: Any, area: Any, data: Any, extra: dict[str, Any]) -> None:
    raw = simplejson.dumps({**extra, "changeId": change_id, "dataArea": area, "data": data}).encode()
    _assert_handled(route(raw, None, EVERYTHING, IdMaps()))


@SETTINGS
@example(depth=MAX_DEPTH - 2, as_string=False)
@example(depth=MAX_DEPTH - 1, as_string=False)
@example(depth=MAX_DEPTH - 1, as_string=True)
@example(depth=MAX_DEPTH, as_string=True)
@given(depth=st.integers(min_value=1, max_value=20_000), as_string=st.booleans())
def test_deep_nesting_never_raises(depth: int, as_string: bool) -> None:
    nested = "[" * depth + "]" * depth
    data = '{"serviceOrderId":"1","organId":"671024","x":' + nested + "}"
    body = simplejson.dumps(data) if as_string else data
    raw = ('{"changeId":"1","dataArea":"fwwt","data":' + body + "}").encode()
    result = route(raw, None, EVERYTHING, IdMaps())
    _assert_handled(result)
    # The list sits inside `data` (depth 2 in the envelope, or depth 1 of its own JSON string).
    levels_above = 1 if as_string else 2
    assert bool(result.copies) == (depth + levels_above <= MAX_DEPTH)


@settings(max_examples=4, deadline=None, database=None)
@given(size=st.sampled_from([1_000_000, MAX_EVENT_BYTES - 200, MAX_EVENT_BYTES + 1, 3 * MAX_EVENT_BYTES]))
def test_huge_strings_never_raise(size: int) -> None:
    raw = simplejson.dumps(
        {
            "changeId": "1",
            "dataArea": "fwwt",
            "data": {"serviceOrderId": "1", "organId": "671024", "x": "a" * size},
        }
    ).encode()
    result = route(raw, None, EVERYTHING, IdMaps())
    _assert_handled(result)
    assert bool(result.copies) == (len(raw) <= MAX_EVENT_BYTES)


# --- a key given twice (issue 21): routed, kept, masked in every occurrence ------------------------------

_COMPACT = simplejson.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class _Pairs(list[tuple[str, Any]]):
    """An object read with every occurrence of its keys, to look for one a plain dict would have dropped."""


def _pairs_present(value: Any, names: list[str]) -> bool:
    """`_present`, seeing every occurrence of a key (a plain dict keeps only the last)."""
    if not names:
        return True
    if isinstance(value, str) and value.lstrip().startswith(("[", "{")):
        try:
            return _pairs_present(simplejson.loads(value, object_pairs_hook=_Pairs), names)
        except ValueError:
            return False
    if isinstance(value, _Pairs):
        return any(_pairs_present(v, names[1:]) for k, v in value if k.strip().lower() == names[0])
    if isinstance(value, list):
        return any(_pairs_present(item, names) for item in value)
    return False


@st.composite
def repeated_bodies(draw: st.DrawFn) -> str:
    """A body's compact JSON text whose keys (routing reads none of them) may be given several times."""
    pairs: list[tuple[str, Any]] = [("serviceOrderId", "1"), ("organId", "671024")]
    names = st.sampled_from([*KEYS, "currentUser", "currentuser", "supUser"])
    pairs += draw(st.lists(st.tuples(names, field_values), max_size=8))
    repeat = draw(st.lists(st.integers(0, len(pairs) - 1), max_size=3))
    pairs += [pairs[i] if i > 1 else ("remark", "again") for i in repeat]
    return "{" + ",".join(_COMPACT.encode(k) + ":" + _COMPACT.encode(v) for k, v in pairs) + "}"


@SETTINGS
@given(body=repeated_bodies(), as_string=st.booleans())
def test_a_body_with_keys_given_twice_is_forwarded_as_received(body: str, as_string: bool) -> None:
    data = _COMPACT.encode(body) if as_string else body
    raw = ('{"changeId":"1","dataArea":"fwwt","data":' + data + "}").encode()
    result = route(raw, None, EVERYTHING, IdMaps())
    assert result.quarantine == () and [c.base_code for c in result.copies] == ["ALL", "ORG"]
    assert simplejson.loads(result.copies[1].envelope)["data"] == body


@SETTINGS
@given(body=repeated_bodies(), masks=st.lists(st.sampled_from(MASKS), min_size=1, max_size=4), maps=idmaps)
def test_a_masked_key_given_twice_is_gone_in_every_occurrence(
    body: str, masks: list[str], maps: IdMaps
) -> None:
    index = SubscriptionIndex([Subscription("S1", "n", "h", frozenset("*"), frozenset("*"), frozenset("*"))])
    masked = SubscriptionIndex([replace(index.subscriptions[0], mask=tuple(masks))])
    raw = ('{"changeId":"5","dataArea":"fwwt","data":' + body + "}").encode()
    (copy,) = route(raw, None, masked, maps).copies
    data = simplejson.loads(simplejson.loads(copy.envelope)["data"], object_pairs_hook=_Pairs)
    for path in masks:
        assert not _pairs_present(data, [n.replace("[]", "").strip().lower() for n in path.split(".")]), path
    received = simplejson.loads(body, object_pairs_hook=_Pairs)
    top = {norm(p) for p in masks if "." not in p}
    kept = [k for k, _ in received if norm(k.replace("[]", "")) not in top]
    assert [k for k, _ in data if k in {k for k, _ in received}] == kept


# --- enrichment reaches every value masking reaches, JSON text included (issue 21) -----------------------

PERSON = {"userId": "94781", "userTel": "13900000000"}
people = st.recursive(
    st.just(PERSON) | st.just(PERSON).map(simplejson.dumps) | st.sampled_from(["junk", 7]),
    lambda inner: st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(simplejson.dumps),
    max_leaves=6,
)


def _count(value: Any, name: str) -> int:
    """Occurrences of key `name` in the objects `value` holds at its own level, as the contract reads it:
    through arrays and values sent as JSON text, not into an object's own fields."""
    if isinstance(value, str) and value.lstrip().startswith(("[", "{")):
        return _count(simplejson.loads(value, object_pairs_hook=_Pairs), name)
    if isinstance(value, _Pairs | dict):
        return sum(1 for k, _ in (value if isinstance(value, _Pairs) else value.items()) if k == name)
    if isinstance(value, list):
        return sum(_count(item, name) for item in value)
    return 0


@SETTINGS
@given(current=people, sup=people)
def test_enrichment_and_masking_walk_the_same_values(current: Any, sup: Any) -> None:
    maps = _maps([("S", IdKind.EMPLOYEE, "94781", "E-1")])
    body = {"serviceOrderId": "1", "currentUser": current, "supUser": sup}
    enriched = enrich(body, "7", "S", maps)
    masked = mask(body, ["currentUser[].userTel", "supUser[].userTel"])
    for field in ("currentUser", "supUser"):
        people_here = _count(body[field], "userTel")
        assert _count(enriched[field], "eUserId") == people_here == _count(enriched[field], "userTel")
        assert _count(masked[field], "userTel") == 0 and _count(masked[field], "userId") == people_here


# --- a required eCommunityId names the community routing used, from the body or the ticket (issue 21) ---

REQUIRE_E_COMMUNITY = {"1", "6", "7", "9", "10"}  # docs/contract.md section 5: eCommunityId Y


@SETTINGS
@given(
    first=st.sampled_from(COMMUNITIES),
    later=st.lists(
        st.tuples(
            st.sampled_from([c for c in CHANGE_IDS if c != "8"]), st.none() | st.sampled_from(COMMUNITIES)
        ),
        max_size=6,
    ),
)
def test_a_required_e_community_id_names_the_community_routing_used(
    first: str, later: list[tuple[str, str | None]]
) -> None:
    maps = _maps([("S", IdKind.COMMUNITY, c, f"E-{c}") for c in COMMUNITIES])
    index = SubscriptionIndex([Subscription("S", "n", "h", frozenset("*"), frozenset("*"), frozenset("*"))])
    tickets: dict[str, Any] = {}
    known: str | None = None
    for change_id, community in [("1", first), *later]:
        body = {"serviceOrderId": "T"} | ({} if community is None else {"communityId": community})
        raw = simplejson.dumps({"changeId": change_id, "dataArea": "fwwt", "data": body}).encode()
        result = route(raw, b"T", index, maps, memory=Memory(tickets.get, 0.0))
        tickets["T"] = result.ticket
        known = community or known
        data = simplejson.loads(simplejson.loads(result.copies[0].envelope)["data"])
        filled = community is not None or change_id in REQUIRE_E_COMMUNITY
        assert data.get("eCommunityId") == (f"E-{known}" if filled else None)
        assert data.get("communityId") == community, "the body is not given the ticket's community"


# --- one escaping style per envelope (issue 21) ----------------------------------------------------------

# lone surrogates included, and often: they are what used to switch an envelope's style
any_text = st.text(
    st.sampled_from(["a", "中", "\udc80", "\ud800"]) | st.characters(exclude_categories=()), max_size=6
)
_ESCAPE = re.compile(r"\\+u([0-9a-fA-F]{4})")  # a \u escape at any depth of JSON-in-JSON


@SETTINGS
@example(area="房屋", values={"名": "\udc80"}, current=[])
@given(
    area=st.sampled_from(["fwwt", "房屋", "ü"]),
    values=st.dictionaries(st.sampled_from(["x", "名", "remark"]), any_text, max_size=3),
    current=st.lists(st.fixed_dictionaries({"userTel": any_text, "userName": any_text}), max_size=2),
)
def test_every_envelope_has_one_escaping_style(area: str, values: dict[str, str], current: list[Any]) -> None:
    body = {"serviceOrderId": "1", "organId": "671024", **values, "currentUser": simplejson.dumps(current)}
    raw = simplejson.dumps({"changeId": "5", "dataArea": area, "data": body}).encode()
    masked = SubscriptionIndex(
        [
            Subscription(
                "M", "n", "h", frozenset("*"), frozenset("*"), frozenset("*"), mask=("currentUser.userTel",)
            )
        ]
    )
    (copy,) = route(raw, None, masked, IdMaps()).copies
    text = copy.envelope.decode("utf-8")  # strict: valid UTF-8
    outer = simplejson.loads(text)
    data = simplejson.loads(outer["data"])
    assert outer["dataArea"] == area and {k: data[k] for k in values} == values
    assert simplejson.loads(data["currentUser"]) == [{"userName": p["userName"]} for p in current]
    # raw UTF-8 everywhere: the only escapes are of control characters and of lone surrogates
    for code in (int(found, 16) for found in _ESCAPE.findall(text)):
        assert code < 0x20 or 0xD800 <= code <= 0xDFFF, hex(code)
