"""The workshop's command line (`wostream-dev`), in-process."""

from __future__ import annotations

from click.testing import CliRunner

from workshop.cli import main


def test_help_lists_the_workshop_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("up", "bench", "soak"):
        assert f"\n  {command} " in result.output


def test_bench_routing_prints_both_cases_and_the_ratio() -> None:
    result = CliRunner().invoke(main, ["bench", "routing", "--seconds", "0.05"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("routing,     10 subscriptions: ") and "events/s" in lines[0]
    assert lines[1].startswith("routing,   1000 subscriptions: ")
    assert lines[2].startswith("routing, 1000 + ticket memory: ")
    assert lines[3].startswith("ratio 1000/10 subscriptions ") and lines[4].startswith("ratio memory on/off ")
