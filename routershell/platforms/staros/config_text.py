"""StarOS configuration text: render (`show configuration`, `save configuration`) and replay
(startup file, lab config) through the same grammar and handlers a user types into.

The text is the command sequence StarOS writes: `config`, indented mode commands, `#exit` to
leave a mode, `end`. Secrets are written `encrypted` (a reversible encoding of ours, so a saved
file loads again; it hides the key from a casual look, it is not protection).
"""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass
from functools import cache

from ...grammar.loader import load_tree
from ...grammar.parser import CommandMatch, ParseError, parse_command
from ...grammar.schema import Node
from . import configure as cf
from .model import AclRule, Config, Context

MODE_FILES = {
    cf.EXEC: "exec.grammar",
    cf.CONFIG: "config.grammar",
    cf.CTX: "context.grammar",
    cf.GROUP: "crypto-group.grammar",
    cf.MAP: "crypto-map.grammar",
    cf.POLICY: "ikev1-policy.grammar",
    cf.TSET: "transform-set.grammar",
    cf.ACL: "acl.grammar",
    cf.IFACE: "interface.grammar",
}

_MASK = b"StarOS-lab"


@cache
def tree(mode: str) -> Node:
    return load_tree("staros", MODE_FILES[mode])


def encrypt(secret: str) -> str:
    raw = secret.encode()
    return "+" + base64.b32encode(bytes(b ^ _MASK[i % len(_MASK)] for i, b in enumerate(raw))).decode().rstrip("=")


def decrypt(token: str) -> str | None:
    if not token.startswith("+"):
        return None
    body = token[1:]
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
        return bytes(b ^ _MASK[i % len(_MASK)] for i, b in enumerate(raw)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


# ---- render ---------------------------------------------------------------------------------------


def _wild(prefix: str) -> str:
    if prefix == "0.0.0.0/0":
        return "any"
    net = ipaddress.ip_network(prefix)
    if net.prefixlen == 32:
        return f"host {net.network_address}"
    return f"{net.network_address} {net.hostmask}"


def rule_text(r: AclRule) -> str:
    return f"{r.action} ip {_wild(r.src)} {_wild(r.dst)}"


def render_administrators(ctx: Context, indent: str, secrets: bool) -> list[str]:
    """`administrator` lines; the password only encrypted, and as `***` unless `secrets`
    (`show configuration` hides it, `showsecrets` and `save configuration` keep it)."""
    out = []
    for a in ctx.administrators.values():
        if a.password is None:
            out.append(f"{indent}administrator {a.name} nopassword")
        else:
            shown = encrypt(a.password) if secrets else "***"
            out.append(f"{indent}administrator {a.name} encrypted password {shown}")
    return out


def render_context(ctx: Context, indent: str = "  ", secrets: bool = True) -> list[str]:
    i1, i2 = indent + "  ", indent + "    "
    out = [f"{indent}context {ctx.name}"]
    out += render_administrators(ctx, i1, secrets)
    for itf in ctx.interfaces.values():
        out.append(f"{i1}interface {itf.name}")
        if itf.address:
            net = ipaddress.ip_interface(itf.address)
            out.append(f"{i2}ip address {net.ip} {net.netmask}")
        out += [f"{i2}crypto-map {m}" for m in itf.crypto_maps]
        out.append(f"{i1}#exit")
    for name, rules in ctx.acls.items():
        out.append(f"{i1}ip access-list {name}")
        out += [f"{i2}{rule_text(r)}" for r in rules]
        out.append(f"{i1}#exit")
    for pool in ctx.pools.values():
        net = ipaddress.ip_network(pool.prefix)
        out.append(f"{i1}ip pool {pool.name} {net.network_address} {net.netmask} private")
    if ctx.dpd is not None:
        d = ctx.dpd
        out.append(f"{i1}ikev1 keepalive dpd interval {d.interval} timeout {d.timeout} num-retry {d.num_retry}")
    for prio, p in sorted(ctx.ike_policies.items()):
        out += [f"{i1}ikev1 policy {prio}", f"{i2}encryption {p.encryption}", f"{i2}hash {p.hash}",
                f"{i2}group {p.group}", f"{i2}lifetime {p.lifetime}", f"{i1}#exit"]
    for ts in ctx.transform_sets.values():
        out += [f"{i1}ipsec transform-set {ts.name}", f"{i2}encryption {ts.encryption}",
                f"{i2}hmac {ts.hmac}", f"{i2}mode {ts.mode}"]
        if ts.group is not None:
            out.append(f"{i2}group {ts.group}")
        out.append(f"{i1}#exit")
    for g in ctx.groups.values():
        out.append(f"{i1}crypto-group {g.name}")
        if g.match_address:
            pref = f" {g.preference}" if g.preference is not None else ""
            out.append(f"{i2}match address {g.match_address}{pref}")
        if g.pool:
            out.append(f"{i2}match ip pool pool-name {g.pool}")
        if g.switchover == "auto":
            out.append(f"{i2}switchover auto")
        elif g.switchover == "auto-do-not-revert":
            out.append(f"{i2}switchover auto do-not-revert")
        out.append(f"{i1}#exit")
    for mp in ctx.maps.values():
        seq = f" {mp.seq}" if mp.seq is not None else ""
        out.append(f"{i1}crypto map {mp.name}{seq} ipsec-isakmp")
        if mp.match_address:
            prio = f" {mp.match_priority}" if mp.match_priority is not None else ""
            out.append(f"{i2}match address {mp.match_address}{prio}")
        if mp.peer:
            out.append(f"{i2}set peer {mp.peer}")
        if mp.psk:
            out.append(f"{i2}set ike pre-shared-key encrypted {encrypt(mp.psk)}")
        if mp.lifetime is not None:
            out.append(f"{i2}set phase2-lifetime {mp.lifetime}")
        out += [f"{i2}set transform-set {t}" for t in mp.transform_sets]
        if mp.group and mp.role:
            out.append(f"{i2}match crypto-group {mp.group} {mp.role}")
        out.append(f"{i1}#exit")
    out.append(f"{indent}#exit")
    return out


def render(cfg: Config, context: str | None = None, secrets: bool = True) -> str:
    """The configuration as StarOS prints and saves it (one context with `context`; without
    `secrets`, administrator passwords as `***`)."""
    lines = ["config"]
    if context is None:
        lines.append(f"  system hostname {cfg.hostname}")
        if cfg.snmp_community:
            lines.append(f"  snmp community {cfg.snmp_community} read-only")
        for t in cfg.snmp_targets.values():
            port = f" port {t.port}" if t.port != 162 else ""
            lines.append(f"  snmp target {t.name} {t.address}{port} security-name {t.community} version 2")
    for ctx in cfg.contexts.values():
        if context is None or ctx.name == context:
            lines += render_context(ctx, secrets=secrets)
    lines.append("end")
    return "\n".join(lines) + "\n"


# ---- replay ----------------------------------------------------------------------------------------


@dataclass
class ReplayError(Exception):
    line: int
    message: str


PARENT = {cf.CONFIG: cf.EXEC, cf.CTX: cf.CONFIG}


def replay(text: str, model: str, cfg: Config | None = None,
           errors: list[ReplayError] | None = None) -> Config:
    """Run a configuration file's commands on `cfg` (a new default configuration if None).
    Raises ReplayError at the first line the device would refuse; with `errors`, records it
    there and goes on with the next line instead (a device booting from a file: a refused
    line is reported, the rest still loads)."""
    cfg = cfg if cfg is not None else Config()
    stack: list[tuple[str, dict[str, str]]] = [(cf.EXEC, {"context": "local"})]
    parsed: dict[tuple[str, str], CommandMatch] = {}
    for no, raw in enumerate(text.splitlines(), 1):
        try:
            _replay_line(raw.strip(), no, model, cfg, stack, parsed)
        except ReplayError as e:
            if errors is None:
                raise
            errors.append(e)
    return cfg


def _replay_line(line: str, no: int, model: str, cfg: Config,
                 stack: list[tuple[str, dict[str, str]]],
                 parsed: dict[tuple[str, str], CommandMatch] | None = None) -> None:
    if not line or (line.startswith("#") and line != "#exit"):
        return
    mode, context = stack[-1]
    if line == "#exit" or (line == "exit" and mode != cf.EXEC):
        if len(stack) > 1:
            stack.pop()
        return
    if mode == cf.EXEC and line in ("config", "configure"):
        stack.append((cf.CONFIG, context))
        return
    if mode == cf.EXEC:
        raise ReplayError(no, f"not a configuration command: {line}")
    # A saved configuration repeats the same lines in every group and context (`#exit`,
    # `set transform-set ts`, ...): each distinct line of a mode is parsed once per replay. The
    # parse depends only on the mode's tree and the text; handlers get their own copy.
    key = (mode, line)
    m = parsed.get(key) if parsed is not None else None
    if m is None:
        try:
            m = parse_command(tree(mode), line)
        except ParseError as e:
            raise ReplayError(no, f"{cf_error(e)}: {line}") from None
        if parsed is not None:
            parsed[key] = m
    m = CommandMatch(m.node, m.handler, dict(m.args), list(m.words), dict(m.rest))
    try:
        out = cf.run(cfg, cf.Env(model, context), m)
    except cf.Refused as e:
        raise ReplayError(no, e.text) from None
    if out.leave == "end":
        del stack[1:]
    elif out.leave == "exit":
        stack.pop()
    elif out.enter is not None:
        stack.append(out.enter)


def cf_error(e: ParseError) -> str:
    from .messages import error_text

    return error_text(e, 0).splitlines()[-1]


__all__ = ["ReplayError", "decrypt", "encrypt", "render", "replay", "rule_text", "tree"]
