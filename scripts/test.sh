#!/usr/bin/env bash
# Sets up (scripts/setup.sh), lints (ruff, mypy --strict) and runs the test suite; extra arguments go to pytest (e.g. -m faults).
# Set WOSTREAM_TEST_KAFKA=host:port to reuse a running broker instead of starting one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cd "$root"
.venv/bin/ruff check wostream tests
.venv/bin/mypy wostream
exec .venv/bin/pytest "$@"
