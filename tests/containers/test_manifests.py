"""k8s/ against the Kubernetes schemas and the linter (scripts/k8s-check.sh), and that check refusing a
manifest with a misplaced field or a privileged container: it can fail."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / "k8s-check.sh"), str(folder)], capture_output=True, text=True, timeout=600
    )


def test_the_manifests_pass_the_schemas_and_the_linter() -> None:
    done = _check(ROOT / "k8s")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Failed checks: 0" in done.stdout


def test_a_misplaced_field_fails_the_schema_check(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "k8s", tmp_path / "k8s")
    worker = tmp_path / "k8s" / "worker.yaml"
    text = worker.read_text(encoding="utf-8")
    worker.write_text(text.replace("  replicas: 2\n", "  replicas: 2\n  replica: 2\n", 1), encoding="utf-8")
    done = _check(tmp_path / "k8s")
    assert done.returncode != 0
    assert "replica" in done.stdout + done.stderr


def test_a_privileged_container_fails_the_linter(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "k8s", tmp_path / "k8s")
    router = tmp_path / "k8s" / "router.yaml"
    text = router.read_text(encoding="utf-8")
    router.write_text(
        text.replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", 1), encoding="utf-8"
    )
    done = _check(tmp_path / "k8s")
    assert done.returncode != 0
    assert "CKV_K8S_20" in done.stdout, done.stdout[-2000:]
