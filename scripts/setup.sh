#!/usr/bin/env bash
# Installs what wostream needs on a bare Debian 12 machine, idempotently (a second run takes a second or two):
#   - from Debian: glacier2router (zeroc-glacier2), the Ice 3.7 Python binding (python3-zeroc-ice) and its
#     slice files, Python's venv module, Java 17 and Maven if missing, Ice for C++ (the guide's C++ snippet);
#   - the project's virtualenv (.venv) on Debian's python3, with exact pins from PyPI and Debian's Ice linked in
#     (the same Ice generation as the router, and seconds instead of a six-minute wheel build);
#   - Apache Kafka's jars from Maven Central (kafka/pom.xml) into the cache outside the repo.
# Extra packages for optional tiers: WOSTREAM_SETUP_EXTRA="chromium fonts-noto-cjk" (see scripts/test.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=/usr/bin/python3
say() { echo "[setup] $*" >&2; }

need_apt=()
command -v glacier2router >/dev/null || need_apt+=(zeroc-glacier2)
# java-kit: kits/java builds with Debian's Ice for Java (IceSSL is not on Maven Central) and slice2java
for pkg in python3-zeroc-ice zeroc-ice-slice python3-venv zeroc-ice-compilers libzeroc-ice3.7-java ${WOSTREAM_SETUP_EXTRA:-}; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need_apt+=(maven)
command -v javac >/dev/null || need_apt+=(openjdk-17-jdk-headless)  # java-kit: kits/java compiles
# integrators' guide: its C++ snippet builds with Ice for C++ and a JSON parser (tests/integration/test_integrator_snippets.py)
for pkg in libzeroc-ice-dev nlohmann-json3-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
command -v g++ >/dev/null || need_apt+=(g++)
if ((${#need_apt[@]})); then
  say "installing from Debian: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$root/.venv/bin/python" ]; then
  say "creating $root/.venv"
  "$python" -m venv "$root/.venv"
fi
site=$("$root/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# Only Ice's own modules from Debian's dist-packages: the rest of the system's Python packages stay out.
for name in Ice Glacier2 IceBox IceGrid IceMX IcePatch2 IceStorm IcePy.cpython-311-x86_64-linux-gnu.so; do
  ln -sfn "/usr/lib/python3/dist-packages/$name" "$site/$name"
done
wanted=$(cat "$root/pyproject.toml" "$root/workshop/pyproject.toml")
if [ "$wanted" != "$(cat "$root/.venv/.installed-pyproject" 2>/dev/null)" ]; then
  say "installing wostream, its pinned dependencies and the workshop (wostream-dev)"
  "$root/.venv/bin/pip" install -q --disable-pip-version-check -e "$root[test]" -e "$root/workshop"
  printf '%s' "$wanted" >"$root/.venv/.installed-pyproject"
fi

"$root/.venv/bin/python" -c "from workshop.kafka import kafka_libs; kafka_libs()"
say "ready"
