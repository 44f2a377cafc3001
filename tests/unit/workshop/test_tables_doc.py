"""docs/events.md is what the tables say (regenerate it with `wostream-dev tables`)."""

from __future__ import annotations

from workshop.paths import ROOT
from workshop.tables_doc import render


def test_the_events_page_is_generated_from_the_tables() -> None:
    page = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    assert page == render(), "docs/events.md is out of date: run `wostream-dev tables`"


def test_the_page_names_every_kind_and_what_routing_reads() -> None:
    page = render()
    for cid in range(1, 11):
        assert f"\n## {cid} — " in page
    assert "| `serviceOrderId` | Y | routing: the ticket |" in page
    assert "| `organId` | Y | routing, scope, personal" not in page
    assert "| `eCommunityId` | Y | filled (from the ticket too) |" in page
