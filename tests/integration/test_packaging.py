"""The package works installed from a wheel, outside the checkout: data files come with it, and nothing of the
workshop (local stack, benchmarks, soak, Kafka's pom) does."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def build_wheel(out: Path) -> Path:
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, ROOT, cwd=out.parent)
    (wheel,) = out.glob("wostream-*.whl")
    return wheel


def test_the_wheel_holds_the_product_and_nothing_of_the_workshop(tmp_path: Path) -> None:
    names = zipfile.ZipFile(build_wheel(tmp_path / "dist")).namelist()
    shipped = {n for n in names if not n.startswith("wostream-0.1.0.dist-info/")}
    assert all(n.startswith("wostream/") for n in shipped), sorted(shipped)
    assert not [n for n in shipped if n.endswith((".jar", "pom.xml")) or "/dev/" in n or "workshop" in n]
    source = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "wostream").rglob("*")
        if p.suffix in {".py", ".ice", ".properties", ".html"} and "__pycache__" not in p.parts
    }
    assert source - shipped == set(), "modules missing from the wheel: list them in pyproject.toml"
    assert "wostream/tables/events.yaml" in shipped
    assert not [n for n in shipped if n.startswith("wostream/tables/") and n.endswith((".json", ".csv"))]


def test_wheel_installs_and_runs_from_outside_the_checkout(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
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
