"""The JunosE command trees, one per mode, loaded once (commands/junose/*.grammar)."""

from __future__ import annotations

from functools import cache

from ...grammar.loader import load_tree
from ...grammar.schema import Node
from . import types  # noqa: F401 -- registers `junose-tunnel` before the trees load

# mode -> grammar files (glob), parent mode (IOS-style fallback), prompt suffix
MODES: dict[str, tuple[str, str | None, str]] = {
    "exec": ("exec-*.grammar", None, ">"),
    "privileged": ("*exec-*.grammar", None, "#"),
    "config": ("cfg-global.grammar", None, "(config)#"),
    "config-if": ("cfg-if.grammar", "config", "(config-if)#"),
    "config-ike-policy-rule": ("cfg-ike-policy-rule.grammar", "config", "(config-ike-policy-rule)#"),
    "config-manual-key": ("cfg-manual-key.grammar", "config", "(config-manual-key)#"),
}
CONFIG_MODES = ("config", "config-if", "config-ike-policy-rule", "config-manual-key")


@cache
def tree(mode: str) -> Node:
    return load_tree("junose", MODES[mode][0])
