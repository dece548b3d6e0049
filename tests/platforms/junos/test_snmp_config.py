"""Inactive statements under [edit snmp] do not apply to the compiled trap targets (issue 10)."""

from __future__ import annotations

from routershell.platforms.junos import config_text
from routershell.platforms.junos.grammar import grammar
from routershell.platforms.junos.snmp import CATEGORY_EVENTS, trap_targets

BASE = """snmp {
    trap-group nms {
        %s
        targets {
            192.0.2.50;
        }
    }
}
"""


def _targets(inner: str):
    result = config_text.parse_load(BASE % inner, grammar().schema)
    assert not result.errors
    return trap_targets(result.tree)


def test_inactive_statements_are_skipped():
    (t,) = _targets("destination-port 1162; categories { link; }")
    assert t.port == 1162 and t.events == CATEGORY_EVENTS["link"]
    (t,) = _targets("inactive: destination-port 1162; categories { inactive: link; configuration; }")
    assert t.port == 162 and t.events == CATEGORY_EVENTS["configuration"]
    (t,) = _targets("inactive: categories { link; }")
    assert t.events is None
    assert _targets("version v1;") == []
    assert len(_targets("inactive: version v1;")) == 1
    inactive_snmp = config_text.parse_load("inactive: " + BASE % "", grammar().schema).tree
    assert trap_targets(inactive_snmp) == []
