#!/usr/bin/env bash
# Builds the two images with podman on a machine that reaches no container registry (idempotent; cached builds
# take seconds): podman & co from Debian, a debian:bookworm-slim look-alike made with mmdebstrap from Debian's
# packages (imported under that name), then the unchanged Containerfiles of containers/:
#   localhost/wostream:0.1.0           the worker and the CLI
#   localhost/wostream-glacier2:3.7.8  glacier2router
# Elsewhere, build the same Containerfiles with any OCI builder against the real debian:bookworm-slim.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${WOSTREAM_CACHE:-$HOME/.cache/wostream}
say() { echo "[image] $*" >&2; }
mkdir -p "$cache"

tools=(podman buildah mmdebstrap runc catatonit uidmap conmon containernetworking-plugins golang-github-containers-common)
missing=()
for p in "${tools[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  say "installing from Debian: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# This machine's hard limits (20 000 files, 32 768 processes) are below podman's defaults (every container
# would fail setrlimit), and crun cannot run on its hybrid cgroups (runc can).
export CONTAINERS_CONF="$cache/containers.conf"
cat >"$CONTAINERS_CONF" <<'TOML'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
TOML

if ! podman image exists localhost/debian:bookworm-slim; then
  say "making a debian:bookworm-slim look-alike with mmdebstrap (about a minute, once)"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/apt" "$work/certs"
  cat >"$work/apt/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  echo 'Acquire::Languages "none";' >"$work/apt/docker-no-languages"
  # local only: this machine reaches PyPI through a proxy whose CA the builds must trust
  cp /usr/local/share/ca-certificates/*.crt "$work/certs/" 2>/dev/null || true
  mmdebstrap --variant=minbase --mode=root --format=tar --quiet \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --setup-hook='mkdir -p "$1/etc/apt/apt.conf.d"' --setup-hook="sync-in '$work/apt' /etc/apt/apt.conf.d" \
    --customize-hook='mkdir -p "$1/usr/local/share/ca-certificates"' \
    --customize-hook="sync-in '$work/certs' /usr/local/share/ca-certificates" \
    --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname"; : >"$1/etc/machine-id"' \
    bookworm "$work/base.tar" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main"
  podman import --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$work/base.tar" localhost/debian:bookworm-slim >/dev/null
fi
podman image exists docker.io/library/debian:bookworm-slim \
  || podman tag localhost/debian:bookworm-slim docker.io/library/debian:bookworm-slim

build() {  # containerfile tag
  say "building $2"
  podman build --pull=never -q -f "$root/containers/$1" -t "$2" "$root" >/dev/null
}
build worker.Containerfile localhost/wostream:0.1.0
build router.Containerfile localhost/wostream-glacier2:3.7.8
say "ready: localhost/wostream:0.1.0, localhost/wostream-glacier2:3.7.8"
