#!/usr/bin/env bash
# Checks the manifests of a folder (default k8s/) offline: every object against the Kubernetes 1.30 schemas
# (kubernetes-validate --strict: an unknown or misplaced field is an error, not a silent no-op), then the checkov
# linter (its skips are annotations on the objects, each with its reason). The tools live in .venv-k8s, made
# from scripts/k8s-tools.txt on first use (about a minute) and again only when that file changes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/k8s}
venv=$root/.venv-k8s
if ! cmp -s "$root/scripts/k8s-tools.txt" "$venv/.installed" 2>/dev/null; then
  echo "[k8s-check] installing the checking tools into $venv" >&2
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$root/scripts/k8s-tools.txt"
  cp "$root/scripts/k8s-tools.txt" "$venv/.installed"
fi
mapfile -t manifests < <(find "$dir" -maxdepth 1 -name '*.yaml' ! -name kustomization.yaml | sort)
"$venv/bin/kubernetes-validate" --strict --quiet -k 1.30.0 "${manifests[@]}"
"$venv/bin/checkov" -d "$dir" --framework kubernetes --skip-download --compact --quiet
echo "[k8s-check] ${#manifests[@]} files: schemas and linter pass" >&2
