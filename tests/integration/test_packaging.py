"""The package works installed from a wheel, outside the checkout: data files come with it."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_wheel_installs_and_runs_from_outside_the_checkout(tmp_path: Path) -> None:
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp_path / "dist", ROOT, cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("wostream-*.whl")
    run("/usr/bin/python3", "-m", "venv", tmp_path / "venv", cwd=tmp_path)
    python = tmp_path / "venv" / "bin" / "python"
    site = run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
    ).strip()
    # the dependencies (and Debian's Ice) from the project's venv; wostream itself only from the wheel
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    run(python, "-m", "pip", "install", "-q", "--no-deps", wheel, cwd=tmp_path)
    where = run(python, "-c", "import wostream; print(wostream.__file__)", cwd=tmp_path)
    assert where.startswith(site), f"wostream imported from {where}, not from the wheel"

    wostream = tmp_path / "venv" / "bin" / "wostream"
    assert "subscriptions" in run(wostream, "--help", cwd=tmp_path)
    subs = tmp_path / "subs.yaml"
    subs.write_text(
        "subscribers:\n  - baseCode: A\n    secret: s\n    dataAreas: [fwwt]\n"
        '    changeIds: ["*"]\n    scope: {organIds: ["*"]}\n',
        encoding="utf-8",
    )
    assert (
        run(wostream, "subscriptions", "apply", "--dry-run", subs, cwd=tmp_path)
        == "1 subscriptions valid: A\n"
    )
    assert "--loglevel" in run(python, "-m", "faust", "-A", "wostream.app", "worker", "--help", cwd=tmp_path)
    contract = run(python, "-c", "import wostream.ice.contract as c; print(c.Subscriber)", cwd=tmp_path)
    assert "Subscriber" in contract
