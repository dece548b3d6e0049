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
