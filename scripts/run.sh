#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the local stack: Kafka, glacier2router and a worker (`wostream-dev up`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cd "$root"
exec .venv/bin/wostream-dev up "$@"
