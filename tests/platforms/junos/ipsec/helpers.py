"""Load Junos configuration text into a lab session, and parse it into a tree for unit tests."""

from __future__ import annotations

from pathlib import Path

from routershell.config.tree import ConfigNode
from routershell.platforms.junos import config_text
from routershell.platforms.junos.grammar import grammar

CONFIGS = Path(__file__).parent / "configs"


def conf(name: str) -> str:
    return (CONFIGS / name).read_text()


def tree(text: str) -> ConfigNode:
    result = config_text.parse_load(text, grammar().schema)
    assert not result.errors, result.errors
    return result.tree


async def load(t, text: str) -> str:
    """`load merge terminal` with `text` typed in, ended by ^D."""
    return await t.run("load merge terminal", answers=text.splitlines() + ["\x04"])
