"""What each configuration command does to the running configuration (JunoseConfig), as plain
synchronous functions: the session's handlers call them (then `device.changed()`), and a
startup configuration is replayed through the same functions (`replay`), so a saved file and a
typed session build the same configuration.

An action gets the configuration, the parsed arguments and the mode context (the interface,
rule or key being configured) and returns an `Outcome`: an error in the router's words, a mode
to enter, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...grammar.parser import ParseError, parse_command
from . import messages as msg
from .config import (
    DEFAULT_VR,
    MAX_POLICY_RULES,
    MAX_TRANSFORMS,
    JunoseConfig,
    PolicyRule,
    TunnelInterface,
    unmask_key,
)
from .grammar import MODES, tree


@dataclass
class Outcome:
    error: str | None = None
    enter: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    changed: bool = True


OK = Outcome()
Action = Callable[[JunoseConfig, dict[str, Any], dict[str, Any]], Outcome]


class Actions:
    """Configuration actions by handler name (one table for the platform)."""

    def __init__(self) -> None:
        self._table: dict[str, Action] = {}

    def __call__(self, name: str) -> Callable[[Action], Action]:
        def deco(fn: Action) -> Action:
            if name in self._table:
                raise ValueError(f"configuration action {name!r} registered twice")
            self._table[name] = fn
            return fn

        return deco

    def get(self, name: str) -> Action | None:
        return self._table.get(name)

    def names(self) -> list[str]:
        return sorted(self._table)


ACTIONS = Actions()


def _iface(cfg: JunoseConfig, ctx: dict[str, Any]) -> TunnelInterface | None:
    return cfg.interfaces.get(ctx.get("interface", ""))


def _name(ifname: str) -> str:
    return ifname.split(":", 1)[1]


# ---- global configuration ------------------------------------------------------------------

@ACTIONS("cfg-hostname")
def _hostname(cfg, a, ctx):
    cfg.hostname = a["name"]
    return OK


@ACTIONS("cfg-no-hostname")
def _no_hostname(cfg, a, ctx):
    cfg.hostname = "host1"
    return OK


@ACTIONS("cfg-virtual-router")
def _vr(cfg, a, ctx):
    """Create the VR if new and make it the context: interfaces created now live in it (their
    operational VR), and the prompt names it (`host1:vr1(config)#`)."""
    changed = a["name"] != DEFAULT_VR and a["name"] not in cfg.virtual_routers
    if changed:
        cfg.virtual_routers.append(a["name"])
    return Outcome(enter="config", context={"vr": a["name"]}, changed=changed)


@ACTIONS("cfg-no-virtual-router")
def _no_vr(cfg, a, ctx):
    name = a["name"]
    if name not in cfg.virtual_routers:
        return Outcome(msg.NO_SUCH_VR.format(name=name), changed=False)
    if any(name in (t.operational_vr, t.transport) for t in cfg.interfaces.values()):
        return Outcome(msg.VR_IN_USE.format(name=name), changed=False)
    cfg.virtual_routers.remove(name)
    return OK


@ACTIONS("cfg-interface-tunnel")
def _interface(cfg, a, ctx):
    ifname = a["interface"]
    vr = a.get("transport-virtual-router")
    if vr is not None and vr not in cfg.vrs():
        return Outcome(msg.NO_SUCH_VR.format(name=vr), changed=False)
    name = _name(ifname)
    t = cfg.interfaces.get(name)
    if t is None:
        t = cfg.interfaces[name] = TunnelInterface(name, operational_vr=ctx.get("vr", DEFAULT_VR))
    elif t.operational_vr != ctx.get("vr", DEFAULT_VR):
        return Outcome(msg.OTHER_VR.format(name=ifname, vr=t.operational_vr), changed=False)
    if vr is not None:
        t.transport_vr = vr
    return Outcome(enter="config-if", context={"interface": name})


@ACTIONS("cfg-no-interface-tunnel")
def _no_interface(cfg, a, ctx):
    name = _name(a["interface"])
    if cfg.interfaces.pop(name, None) is None:
        return Outcome(msg.NO_SUCH_INTERFACE.format(name=a["interface"]), changed=False)
    return OK


@ACTIONS("cfg-transform-set")
def _transform_set(cfg, a, ctx):
    transforms = [a[f"t{i}"] for i in range(1, MAX_TRANSFORMS + 1) if f"t{i}" in a]
    cfg.transform_sets[a["name"]] = transforms
    return OK


@ACTIONS("cfg-no-transform-set")
def _no_transform_set(cfg, a, ctx):
    name = a["name"]
    if name not in cfg.transform_sets:
        return Outcome(msg.NO_SUCH_TRANSFORM_SET.format(name=name), changed=False)
    user = next((t for t in cfg.interfaces.values() if t.transform_set == name), None)
    if user is not None:
        return Outcome(msg.TS_IN_USE.format(name=name, iface=user.ifname), changed=False)
    del cfg.transform_sets[name]
    return OK


@ACTIONS("cfg-isakmp-policy-rule")
def _rule(cfg, a, ctx):
    p = int(a["priority"])
    if p not in cfg.rules:
        if len(cfg.rules) >= MAX_POLICY_RULES:
            return Outcome(msg.TOO_MANY_RULES, changed=False)
        cfg.rules[p] = PolicyRule(p)
    return Outcome(enter="config-ike-policy-rule", context={"rule": p})


@ACTIONS("cfg-no-isakmp-policy-rule")
def _no_rule(cfg, a, ctx):
    p = int(a["priority"])
    if cfg.rules.pop(p, None) is None:
        return Outcome(msg.NO_SUCH_RULE.format(n=p), changed=False)
    return OK


@ACTIONS("cfg-manual-key")
def _key(cfg, a, ctx):
    return Outcome(enter="config-manual-key", context={"peer": a["peer"]}, changed=False)


@ACTIONS("cfg-no-manual-key")
def _no_key(cfg, a, ctx):
    if cfg.keys.pop(a["peer"], None) is None:
        return Outcome(changed=False)
    return OK


@ACTIONS("cfg-local-endpoint")
def _local_endpoint(cfg, a, ctx):
    vr = a.get("transport-virtual-router", "default")
    if vr not in cfg.vrs():
        return Outcome(msg.NO_SUCH_VR.format(name=vr), changed=False)
    cfg.local_endpoint = (a["address"], vr)
    return OK


@ACTIONS("cfg-no-local-endpoint")
def _no_local_endpoint(cfg, a, ctx):
    cfg.local_endpoint = None
    return OK


@ACTIONS("cfg-slot-disable")
def _slot_disable(cfg, a, ctx):
    cfg.disabled_slots.add(int(a["slot"]))
    return OK


@ACTIONS("cfg-slot-enable")
def _slot_enable(cfg, a, ctx):
    cfg.disabled_slots.discard(int(a["slot"]))
    return OK


@ACTIONS("cfg-username")
def _username(cfg, a, ctx):
    cfg.users[a["name"]] = a["password"]
    return OK


@ACTIONS("cfg-username-masked")
def _username_masked(cfg, a, ctx):
    clear = unmask_key(a["password"])
    if clear is None:
        return Outcome(msg.INVALID, changed=False)
    cfg.users[a["name"]] = clear
    return OK


@ACTIONS("cfg-no-username")
def _no_username(cfg, a, ctx):
    if cfg.users.pop(a["name"], None) is None:
        return Outcome(changed=False)
    return OK


@ACTIONS("cfg-snmp-host")
def _snmp_host(cfg, a, ctx):
    cfg.trap_hosts[a["address"]] = (a.get("community", "public"), int(a.get("udp-port", 162)))
    return OK


@ACTIONS("cfg-no-snmp-host")
def _no_snmp_host(cfg, a, ctx):
    if cfg.trap_hosts.pop(a["address"], None) is None:
        return Outcome(changed=False)
    return OK


# ---- interface tunnel ipsec:NAME -----------------------------------------------------------

def _if_set(attr: str, arg: str | None = None, conv: Callable[[str], Any] = str) -> Action:
    def act(cfg, a, ctx):
        t = _iface(cfg, ctx)
        if t is None:
            return Outcome(msg.NO_SUCH_INTERFACE.format(name=ctx.get("interface", "")), changed=False)
        setattr(t, attr, conv(a[arg]) if arg is not None else None)
        return OK

    return act


ACTIONS("if-tunnel-source")(_if_set("source", "address"))
ACTIONS("if-tunnel-destination")(_if_set("destination", "address"))
ACTIONS("if-tunnel-destination-backup")(_if_set("backup", "address"))
ACTIONS("if-tunnel-pfs-group")(_if_set("pfs_group", "group", int))
ACTIONS("if-tunnel-mtu")(_if_set("mtu", "mtu", int))
ACTIONS("if-no-tunnel-source")(_if_set("source"))
ACTIONS("if-no-tunnel-transform-set")(_if_set("transform_set"))
ACTIONS("if-no-tunnel-pfs-group")(_if_set("pfs_group"))
ACTIONS("if-no-tunnel-mtu")(_if_set("mtu"))
ACTIONS("if-no-ip-address")(_if_set("address"))


@ACTIONS("if-ip-address")
def _ip_address(cfg, a, ctx):
    t = _iface(cfg, ctx)
    if t is None:
        return Outcome(changed=False)
    t.address = (a["address"], a["mask"])
    return OK


@ACTIONS("if-tunnel-transform-set")
def _if_ts(cfg, a, ctx):
    t = _iface(cfg, ctx)
    if t is None:
        return Outcome(changed=False)
    if a["name"] not in cfg.transform_sets:
        return Outcome(msg.NO_SUCH_TRANSFORM_SET.format(name=a["name"]), changed=False)
    t.transform_set = a["name"]
    return OK


@ACTIONS("if-tunnel-lifetime")
def _if_lifetime(cfg, a, ctx):
    t = _iface(cfg, ctx)
    if t is None:
        return Outcome(changed=False)
    t.lifetime_s = int(a["seconds"])
    t.lifetime_kb = int(a["kilobytes"]) if "kilobytes" in a else None
    return OK


@ACTIONS("if-no-tunnel-lifetime")
def _if_no_lifetime(cfg, a, ctx):
    t = _iface(cfg, ctx)
    if t is None:
        return Outcome(changed=False)
    t.lifetime_s = t.lifetime_kb = None
    return OK


@ACTIONS("if-no-tunnel-destination")
def _if_no_destination(cfg, a, ctx):
    t = _iface(cfg, ctx)
    if t is None:
        return Outcome(changed=False)
    if a.get("backup"):
        t.backup = None
    else:
        t.destination = None
    return OK


def _if_flag(attr: str, value: bool) -> Action:
    def act(cfg, a, ctx):
        t = _iface(cfg, ctx)
        if t is None:
            return Outcome(changed=False)
        setattr(t, attr, value)
        return OK

    return act


ACTIONS("if-tunnel-dpd")(_if_flag("dpd", True))
ACTIONS("if-no-tunnel-dpd")(_if_flag("dpd", False))
ACTIONS("if-shutdown")(_if_flag("shutdown", True))
ACTIONS("if-no-shutdown")(_if_flag("shutdown", False))


# ---- ipsec isakmp-policy-rule N --------------------------------------------------------------

def _rule_set(attr: str, arg: str | None, conv: Callable[[str], Any] = str) -> Action:
    def act(cfg, a, ctx):
        r = cfg.rules.get(ctx.get("rule", -1))
        if r is None:
            return Outcome(changed=False)
        default = getattr(PolicyRule(0), attr)
        setattr(r, attr, conv(a[arg]) if arg is not None else default)
        return OK

    return act


ACTIONS("rule-encryption")(_rule_set("encryption", "algorithm"))
ACTIONS("rule-hash")(_rule_set("hash", "algorithm"))
ACTIONS("rule-authentication")(_rule_set("authentication", "method"))
ACTIONS("rule-group")(_rule_set("group", "group", int))
ACTIONS("rule-lifetime")(_rule_set("lifetime", "seconds", int))
ACTIONS("rule-no-encryption")(_rule_set("encryption", None))
ACTIONS("rule-no-hash")(_rule_set("hash", None))
ACTIONS("rule-no-authentication")(_rule_set("authentication", None))
ACTIONS("rule-no-group")(_rule_set("group", None))
ACTIONS("rule-no-lifetime")(_rule_set("lifetime", None))


# ---- ipsec key manual pre-share PEER ---------------------------------------------------------

@ACTIONS("key-key")
def _key_key(cfg, a, ctx):
    cfg.keys[ctx["peer"]] = a["key"]
    return OK


@ACTIONS("key-masked-key")
def _key_masked(cfg, a, ctx):
    clear = unmask_key(a["key"])
    if clear is None:
        return Outcome(msg.INVALID, changed=False)
    cfg.keys[ctx["peer"]] = clear
    return OK


@ACTIONS("key-no-key")
def _key_no(cfg, a, ctx):
    cfg.keys.pop(ctx["peer"], None)
    return OK


# ---- replaying configuration text ------------------------------------------------------------

def parse_in(mode: str, line: str) -> tuple[str, Any]:
    """Parse `line` in `mode`, falling back to the parent modes as the router does: (mode that
    took it, CommandMatch). Raises the current mode's ParseError."""
    try:
        return mode, parse_command(tree(mode), line)
    except ParseError as first:
        parent = MODES[mode][1]
        while parent is not None:
            try:
                return parent, parse_command(tree(parent), line)
            except ParseError:
                parent = MODES[parent][1]
        raise first


def replay(cfg: JunoseConfig, text: str) -> list[tuple[int, str]]:
    """Apply configuration text (what `show running-config` prints) line by line in
    configuration mode; returns the (line number, message) of each line refused."""
    errors: list[tuple[int, str]] = []
    stack: list[tuple[str, dict[str, Any]]] = [("config", {})]
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("!"):
            continue
        mode, ctx = stack[-1]
        try:
            took, match = parse_in(mode, line)
        except ParseError as e:
            errors.append((n, (msg.INCOMPLETE if e.kind in ("missing-argument", "expecting-command")
                               and not e.token else msg.INVALID).strip()))
            continue
        while stack[-1][0] != took and len(stack) > 1:
            stack.pop()
        if match.handler == "end":
            break
        if match.handler == "exit":
            if len(stack) > 1:
                stack.pop()
            continue
        act = ACTIONS.get(match.handler)
        if act is None:
            errors.append((n, msg.INVALID.strip()))
            continue
        out = act(cfg, match.args, stack[-1][1])
        if out.error:
            errors.append((n, out.error.strip()))
        elif out.enter:
            stack.append((out.enter, out.context))
    return errors
