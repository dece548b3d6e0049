"""Configuration commands on the model: `no` forms undo, refusals change nothing, the rendered
text replays to the same configuration."""

from __future__ import annotations

import pytest

from routershell.platforms.staros import config_text
from routershell.platforms.staros.config_text import ReplayError, replay

from .helpers import config


def test_rendered_configuration_replays_to_itself():
    cfg = replay(config(lifetime=900), "ASR 5000")
    text = config_text.render(cfg)
    assert config_text.render(replay(text, "ASR 5000")) == text
    assert "set phase2-lifetime 900" in text and "lab-secret" not in text


@pytest.mark.parametrize(("lines", "check"), [
    ("crypto-group cg1\n      no switchover", lambda c: c.groups["cg1"].switchover == "manual"),
    ("crypto-group cg1\n      no match address", lambda c: c.groups["cg1"].match_address is None),
    ("crypto map cmap-pri1 ipsec-isakmp\n      no set peer", lambda c: c.maps["cmap-pri1"].peer is None),
    ("crypto map cmap-pri1 ipsec-isakmp\n      no set ike pre-shared-key", lambda c: c.maps["cmap-pri1"].psk is None),
    ("crypto map cmap-pri1 ipsec-isakmp\n      no set transform-set ts1", lambda c: c.maps["cmap-pri1"].transform_sets == []),
    ("crypto map cmap-pri1 ipsec-isakmp\n      no match crypto-group", lambda c: c.maps["cmap-pri1"].group is None),
    ("no ikev1 keepalive dpd", lambda c: c.dpd is None),
    ("no crypto map cmap-pri1", lambda c: "cmap-pri1" not in c.maps
     and "cmap-pri1" not in c.interfaces["wan"].crypto_maps),
    ("interface wan\n      no crypto-map cmap-sec2", lambda c: "cmap-sec2" not in c.interfaces["wan"].crypto_maps),
    ("no ip access-list acl-pdn", lambda c: "acl-pdn" not in c.acls),
    ("ikev1 policy 1\n      lifetime 3600", lambda c: c.ike_policies[1].lifetime == 3600),
])
def test_no_forms_and_changes(lines, check):
    cfg = replay(config(), "ASR 5000")
    replay(f"config\n  context ipsec\n    {lines}\nend\n", "ASR 5000", cfg)
    assert check(cfg.contexts["ipsec"])


@pytest.mark.parametrize(("line", "message"), [
    ("no crypto-group cg1", "Failure: crypto group cg1 is in use by crypto map cmap-pri1"),
    ("no crypto-group nosuch", "Failure: crypto group nosuch does not exist"),
    ("ip pool p 10.0.0.1 255.0.0.0 private", "Failure: Invalid IP pool address and mask"),
])
def test_refused_commands_change_nothing(line, message):
    cfg = replay(config(), "ASR 5000")
    before = config_text.render(cfg)
    with pytest.raises(ReplayError) as e:
        replay(f"config\n  context ipsec\n    {line}\nend\n", "ASR 5000", cfg)
    assert e.value.message == message and e.value.line == 3
    assert config_text.render(cfg) == before


def test_thirty_three_groups_in_one_context_are_refused_at_the_33rd():
    text = "config\n  context c\n" + "".join(f"    crypto-group g{i}\n    #exit\n" for i in range(33)) + "end\n"
    errors: list[ReplayError] = []
    cfg = replay(text, "ASR 5000", errors=errors)
    assert [(e.line, e.message) for e in errors] == [
        (67, "Failure: Maximum of 32 crypto groups per context already configured")]
    assert list(cfg.contexts["c"].groups) == [f"g{i}" for i in range(32)]


def test_replay_parses_each_distinct_line_of_a_mode_once(monkeypatch):
    # a saved configuration of many contexts repeats its lines (`#exit`, `switchover auto`,
    # `set transform-set ts`, ...): each distinct (mode, line) is parsed once per replay, and
    # every context still gets its own objects
    calls: list[str] = []
    real = config_text.parse_command

    def counting(root, line):
        calls.append(line)
        return real(root, line)

    monkeypatch.setattr(config_text, "parse_command", counting)
    ctx = ("  context c{n}\n    crypto-group g1\n      switchover auto\n    #exit\n"
           "    crypto-group g2\n      switchover auto\n    #exit\n  #exit\n")
    cfg = replay("config\n" + ctx.format(n=1) + ctx.format(n=2) + "end\n", "ASR 5000")
    assert sorted(calls) == sorted(["context c1", "context c2", "crypto-group g1", "crypto-group g2",
                                    "end", "switchover auto"])
    g1, g2 = cfg.contexts["c1"].groups["g1"], cfg.contexts["c2"].groups["g1"]
    assert g1 is not g2 and g1.switchover == g2.switchover == "auto"
    assert replay("config\n" + ctx.format(n=1) + "end\n", "ASR 5000").contexts["c1"].groups == \
        cfg.contexts["c1"].groups
