#!/usr/bin/env bash
# Installs what wostream needs on a bare machine, idempotently (a second run takes seconds):
#   - glacier2router from Debian's zeroc-glacier2, Java 17 and Maven if missing (apt, as root);
#   - the zeroc-ice 3.7.11 wheel, built from source once (~6 min) into the cache outside the repo;
#   - the project's virtualenv (.venv) with exact pins;
#   - Apache Kafka's jars from Maven Central (kafka/pom.xml) into the cache.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${WOSTREAM_CACHE:-$HOME/.cache/wostream}
python=${WOSTREAM_PYTHON:-python3.11}
say() { echo "[setup] $*" >&2; }

need_apt=()
command -v glacier2router >/dev/null || need_apt+=(zeroc-glacier2)
command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need_apt+=(maven)
# headers the zeroc-ice build needs
for pkg in libssl-dev libbz2-dev g++; do dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg"); done
if ((${#need_apt[@]})); then
  say "installing from Debian: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

mkdir -p "$cache/wheels"
if ! ls "$cache"/wheels/zeroc_ice-3.7.11-*.whl >/dev/null 2>&1; then
  say "building the zeroc-ice 3.7.11 wheel once (about 6 minutes) into $cache/wheels"
  "$python" -m pip wheel -q --no-deps -w "$cache/wheels" zeroc-ice==3.7.11
fi

if [ ! -x "$root/.venv/bin/python" ]; then
  say "creating $root/.venv"
  "$python" -m venv "$root/.venv"
fi
if ! cmp -s "$root/pyproject.toml" "$root/.venv/.installed-pyproject" 2>/dev/null; then
  say "installing wostream and its pinned dependencies"
  "$root/.venv/bin/pip" install -q --disable-pip-version-check --find-links "$cache/wheels" -e "$root[test]"
  cp "$root/pyproject.toml" "$root/.venv/.installed-pyproject"
fi

"$root/.venv/bin/python" -c "from wostream.stack import kafka_libs; kafka_libs()"
say "ready"
