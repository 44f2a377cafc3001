"""docs/events.md, written from the event tables (tables/events.yaml) so that what integrators read is what
the code loads: `wostream-dev tables` writes it, and a unit test fails when the two differ."""

from __future__ import annotations

from wostream.core.catalogue import EventKind, catalogue, change_ids, kinds, norm, routing_fields

HEAD = """# The ten event kinds

Generated from [`tables/events.yaml`](../tables/events.yaml) by `wostream-dev tables`; edit the tables, not
this page. Every body is forwarded **as the work-order system sent it** (its keys, spelling and order), plus
the subscriber's own `e…Id` values, minus the fields its subscription masks; `data` reaches the subscriber as
a JSON string. Y = the table marks the field required (a producer may still omit it: nothing is refused for
the body's spelling or a missing field; `/drift` counts what deviates).

Notes: **routing** = routing reads it (nothing else is strictly needed); **scope** = a subscription's
scope names it; **→ eX** = the subscriber's own id is filled into eX from its id map; **filled** = an
`e…Id` wostream fills; **from the ticket** = filled from the ticket's earlier events when the body lacks
its source; **personal** = personal data a subscription may mask.
"""


def _notes(name: str, spec: EventKind) -> str:
    reads, cat = routing_fields(), catalogue()
    out = []
    if norm(name) == norm(reads.ticket):
        out.append("routing: the ticket")
    if norm(name) in {norm(n) for n in reads.data_area_fallbacks}:
        out.append("routing: the data area when the envelope has none")
    if norm(name) in {norm(reads.organ), norm(reads.community)}:
        out.append("routing, scope")
    for rule in cat.enrichment:
        if rule.within is None and norm(rule.source) == norm(name):
            out.append(f"→ {rule.target}")
        if rule.within is None and norm(rule.target) == norm(name):
            field = spec.by_norm.get(norm(name))
            ticket = rule.ticket and field is not None and field.required
            out.append("filled" + (" (from the ticket too)" if ticket else ""))
    if name in cat.personal:
        out.append("personal")
    return ", ".join(out)


def _items(name: str, items: tuple[str, ...]) -> str:
    personal = {p.split("[].")[1] for p in catalogue().personal if p.startswith(f"{name}[].")}
    return ", ".join(f"`{i}`" + (" (personal)" if i in personal else "") for i in items)


def render() -> str:
    lines = [HEAD]
    for cid in change_ids():
        spec = kinds()[cid]
        state = "" if spec.supported else " — accepted and counted, never pushed"
        lines += [f"## {cid} — {spec.name_en} ({spec.name_zh}){state}", ""]
        lines += ["| field | required | notes | entries |", "| --- | --- | --- | --- |"]
        for field in spec.fields:
            req = "Y" if field.required else "N"
            lines.append(
                f"| `{field.name}` | {req} | {_notes(field.name, spec)} | {_items(field.name, field.items)} |"
            )
        lines.append("")
    return "\n".join(lines)
