"""Where the workshop finds the repository's files: it always runs from a checkout, never from a wheel."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "tables"
EXAMPLES = TABLES / "examples"  # the spec's example events, repaired (see its README)
DEMO = TABLES / "demo"  # the local stack's subscriptions and id maps
KAFKA_FILES = Path(__file__).resolve().parent / "kafka"  # the broker's pom and log4j2 settings
