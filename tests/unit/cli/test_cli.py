"""The CLI in-process (click's CliRunner): exit codes and messages of what needs no broker."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from wostream.cli import main

DEMO = Path(__file__).resolve().parents[3] / "tables" / "demo"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_help_lists_every_command(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("worker", "subscriptions", "idmap", "send", "subscriber", "replay", "status", "resync"):
        assert f"\n  {command} " in result.output


def test_a_valid_file_dry_run_publishes_nothing(runner: CliRunner) -> None:
    env = {"HRZDWYWHXT_SECRET": "x", "DEMOB_SECRET": "y", "WOSTREAM_KAFKA": "127.0.0.1:1"}
    result = runner.invoke(
        main, ["subscriptions", "apply", "--dry-run", str(DEMO / "subscriptions.yaml")], env=env
    )
    assert result.exit_code == 0, result.output
    assert result.output == "2 subscriptions valid: HRZDWYWHXT, DEMOB\n"


def test_an_invalid_file_exits_2_with_every_error(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "subs.yaml"
    bad.write_text("subscribers:\n  - baseCode: A B\n    secret: s\n", encoding="utf-8")
    result = runner.invoke(main, ["subscriptions", "apply", str(bad)], env={"WOSTREAM_KAFKA": "127.0.0.1:1"})
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        'error: subs.yaml: subscribers[0]: baseCode: "A B" must be 1-64 characters of A-Z a-z 0-9 _ - '
        "(it names the topic wo.push.<baseCode>)",
        "error: subs.yaml: subscribers[0]: dataAreas: required",
        "error: subs.yaml: subscribers[0]: changeIds: required",
        'error: subs.yaml: subscribers[0]: scope: required (organIds: ["*"] means all organisations)',
    ]


def test_an_invalid_id_map_exits_2_before_publishing(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "ids.csv"
    bad.write_text("baseCode,kind,id,eId\nA,room,1,X\n", encoding="utf-8")
    result = runner.invoke(main, ["idmap", "apply", str(bad)], env={"WOSTREAM_KAFKA": "127.0.0.1:1"})
    assert result.exit_code == 2
    assert result.stderr == (
        f'error: {bad}: line 2: kind: "room" is not one of community, house, customer, employee\n'
    )


def test_send_refuses_lines_that_are_not_json_unless_raw(runner: CliRunner) -> None:
    result = runner.invoke(main, ["send", "-"], input='{"changeId": "1"}\nnot json\n')
    assert result.exit_code == 2
    assert result.stderr.startswith("error: <stdin>:2: not valid JSON: ")
    assert result.stderr.rstrip().endswith("(use --raw to send it anyway)")


def test_the_workshop_commands_are_not_the_products(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    for command in ("up", "bench", "soak"):
        assert f"\n  {command} " not in result.output
