"""Bad input for the router: a seeded grammar of the ways a raw event goes wrong, mixed with good events.

Every case is a raw Kafka record (value, key) labelled with what must become of it: routed to every entitled
subscriber, or quarantined with a reason naming the defect (docs/contract.md section 6: never dropped
silently, and the worker must survive all of it). A plain `random.Random(seed)` drives it rather than
hypothesis, so the same stream can be replayed from a CLI at any volume, and a failure is found again from
(seed, index).

    python -m workshop.soak.badinput -n 10000 --seed 1 [--kinds] [--judge]

The grammar lives in `badinput_fields` (types, missing fields, lone surrogates), `badinput_keys` (good
events, changeId and key spellings, tombstones, Kafka keys), `badinput_text` (not JSON, truncated, invalid
UTF-8, NaN, duplicate keys) and `badinput_size` (huge, deep, big numbers); each says what its good/bad
reading rests on; `badinput_judge` routes a case in-process and says how its outcome differs from its
label. Outcomes assume no ticket memory: with it, an event lacking its data area may be routed
by what earlier events of its ticket said.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from workshop.soak import badinput_fields, badinput_keys, badinput_size, badinput_text
from workshop.soak.badinput_base import Case, Draft, draft
from workshop.soak.badinput_judge import Router, problems

__all__ = ["CATEGORIES", "Case", "cases", "generate", "main", "summary"]


@dataclass(frozen=True)
class Category:
    name: str
    weight: float  # relative share among the non-"good" cases
    make: Callable[[random.Random, Draft], Case]
    any_kind: bool = False  # may start from a changeId 8 event (see `badinput_base.draft`)


GOOD = Category("good", 0.0, badinput_keys.good, any_kind=True)
GRAMMAR: tuple[Category, ...] = (
    Category("not-json", 1.0, badinput_text.not_json),
    Category("truncated", 1.0, badinput_text.truncated),
    Category("wrong-type", 1.5, badinput_fields.wrong_type),
    Category("missing", 1.5, badinput_fields.missing),
    Category("duplicate-key", 0.8, badinput_text.duplicate_key),
    Category("change-id-spelling", 1.2, badinput_keys.change_id_spelling),
    Category("huge", 0.08, badinput_size.huge),  # megabytes each: rare, or the mix gets heavy
    Category("deep", 0.5, badinput_size.deep),
    Category("invalid-utf8", 0.8, badinput_text.invalid_utf8),
    Category("non-finite", 0.6, badinput_text.non_finite),
    Category("big-number", 0.7, badinput_size.big_number),
    Category("lone-surrogate", 0.5, badinput_fields.lone_surrogate),
    Category("tombstone", 0.4, badinput_keys.tombstone),
    Category("wrong-key", 0.8, badinput_keys.wrong_key, any_kind=True),
    Category("key-spelling", 0.5, badinput_keys.key_spelling, any_kind=True),
)
CATEGORIES: tuple[str, ...] = (GOOD.name, *(c.name for c in GRAMMAR))


def cases(seed: int, good_share: float = 0.3) -> Iterator[Case]:
    """An endless, deterministic stream of cases; nothing is kept, so a soak can draw millions.

    `good_share` is the share of plain good events; the grammar's categories also yield good cases (a
    lenient spelling, a missing optional field, a wrong Kafka key), each labelled as such.
    """
    if not 0.0 <= good_share <= 1.0:
        raise ValueError(f"good_share must be within 0..1, not {good_share}")
    rng = random.Random(seed)
    weights = [c.weight for c in GRAMMAR]
    serial = 0
    while True:
        category = GOOD if rng.random() < good_share else rng.choices(GRAMMAR, weights)[0]
        yield category.make(rng, draft(rng, f"badinput-{seed}-{serial:07d}", category.any_kind))
        serial += 1


def generate(n: int, seed: int, good_share: float = 0.3) -> list[Case]:
    """The first `n` cases of `cases(seed, good_share)`."""
    return list(islice(cases(seed, good_share), n))


def summary(stream: Iterable[Case], by_kind: bool = False) -> list[str]:
    """Printable counts per category (and per kind): how many cases, how many good and bad."""
    counts: Counter[tuple[str, str, bool]] = Counter((c.category, c.kind, c.good) for c in stream)
    groups: dict[str, Counter[bool]] = {}
    for (category, kind, good), n in counts.items():
        groups.setdefault(category if not by_kind else kind, Counter())[good] += n
    width = max((len(name) for name in groups), default=10)
    lines = [
        f"{name:<{width}} {sum(c.values()):>7}  good {c[True]:>6}  bad {c[False]:>6}"
        for name, c in sorted(groups.items(), key=lambda item: (item[0].split(":")[0] != "good", item[0]))
    ]
    total: Counter[bool] = sum(groups.values(), Counter())
    lines.append(f"{'total':<{width}} {sum(total.values()):>7}  good {total[True]:>6}  bad {total[False]:>6}")
    return lines


def judged(stream: Iterable[Case]) -> list[str]:
    """Printable cases whose outcome differs from their label, per kind: how many, and the first problem."""
    router = Router()
    wrong: dict[str, list[str]] = {}
    for case in stream:
        found = problems(case, router.deliver(case.value, case.key))
        if found:
            wrong.setdefault(case.kind, []).append(found[0])
    return [f"{kind}: {len(found)} wrong, e.g. {found[0]}" for kind, found in sorted(wrong.items())] or [
        "all as labelled"
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workshop.soak.badinput", description="Counts of the bad-input grammar's cases."
    )
    parser.add_argument("-n", "--count", type=int, default=10_000, help="cases to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--good-share", type=float, default=0.3, help="share of plain good events")
    parser.add_argument("--kinds", action="store_true", help="one line per kind instead of per category")
    parser.add_argument(
        "--judge", action="store_true", help="route each case in-process; print what went wrong"
    )
    args = parser.parse_args(argv)
    stream = islice(cases(args.seed, args.good_share), args.count)
    print("\n".join(judged(stream) if args.judge else summary(stream, by_kind=args.kinds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
