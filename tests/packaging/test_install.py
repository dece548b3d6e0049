"""The package as pip installs it: every subpackage listed, grammar and labs shipped as data."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _listed() -> set[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    return {p.strip() for p in cfg["options"]["packages"].split() if p.strip()}


def test_every_subpackage_is_listed_in_setup_cfg():
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "routershell").rglob("__init__.py")
    }
    assert found - _listed() == set(), "add these to [options] packages in setup.cfg"


def test_grammar_and_lab_data_are_package_data():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    data = cfg["options.package_data"]
    assert "routershell.commands" in data and "routershell.labs" in data
    assert list((ROOT / "commands" / "junos").glob("*.grammar"))
    assert (ROOT / "routershell" / "labs" / "default.toml").exists()


def _copy_source(dest: Path) -> Path:
    """The files a source distribution holds, so building leaves the checkout untouched."""
    import shutil

    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("routershell", "commands"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    return dest


def test_the_built_wheel_installs_and_runs_from_another_directory(tmp_path):
    """Build a wheel, install it (offline: --no-index --no-deps into a venv that sees this
    interpreter's packages for the dependencies) and run the console script elsewhere."""
    import os
    import subprocess
    import sys
    import venv

    src = _copy_source(tmp_path / "src")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(dist), str(src)],
                   check=True, capture_output=True, text=True, timeout=300)
    (wheel,) = dist.glob("routershell-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    vpython = bindir / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(vpython), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, text=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    run = subprocess.run([str(bindir / "routershell"), "-c", "show version"], cwd=elsewhere,
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("user@r1> show version\nHostname: r1\n")
    where = subprocess.run([str(vpython), "-c", "import routershell, routershell.grammar.loader"
                            " as l; print(routershell.__file__); print(l.commands_root())"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    # the installed copy ran, with its own grammar data, not this checkout's
    assert str(env_dir) in where.stdout and str(ROOT) not in where.stdout
