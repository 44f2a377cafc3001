#!/usr/bin/env bash
# The README's test command: set up (scripts/setup.sh), lint (ruff, ruff format, mypy --strict, import
# contracts), then the unit and integration tiers. Extra arguments go to pytest and win over the default marker
# selection (e.g. `scripts/test.sh -m faults`). WOSTREAM_TEST_KAFKA=host:port reuses a running broker.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# the operator page is checked in a real headless browser, with a CJK font for Chinese names
WOSTREAM_SETUP_EXTRA="chromium fonts-noto-cjk ${WOSTREAM_SETUP_EXTRA:-}" "$root/scripts/setup.sh"
"$root/scripts/image.sh"  # the container tier runs the stack from the images
cd "$root"
.venv/bin/ruff check wostream workshop tests
.venv/bin/ruff format --check wostream workshop tests
.venv/bin/mypy wostream workshop tests
.venv/bin/lint-imports
exec .venv/bin/pytest -m "not faults and not scale" --durations=20 "$@"
