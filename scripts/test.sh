#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the test suite; extra arguments go to pytest (e.g. -m faults).
# Set WOSTREAM_TEST_KAFKA=host:port to reuse a running broker instead of starting one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cd "$root"
exec .venv/bin/pytest "$@"
