"""Configuration commands: each one changes the running configuration at once (StarOS has no
candidate). A handler gets the configuration, the mode's context and the parsed command; it
mutates the configuration, or raises `Refused` with the device's one-line error and changes
nothing. Mode changes are returned as an `Outcome`.

The same handlers serve the interactive session and the replay of a saved configuration file
(`config_text.replay`), so a file can only hold what a user could type.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

from ...grammar.parser import CommandMatch, Token
from . import messages as msg
from .model import (
    MAX_CRYPTO_GROUPS,
    AclRule,
    Administrator,
    Config,
    Context,
    CryptoGroup,
    CryptoMap,
    Dpd,
    IkePolicy,
    Interface,
    IpPool,
    SnmpTarget,
    TransformSet,
)

# mode names (also the session's), and the prompt suffix each shows
EXEC = "exec"
CONFIG = "config"
CTX = "config-ctx"
GROUP = "config-crypto-group"
MAP = "cfg-crypto-isakmp-map"
POLICY = "cfg-ctx-ikev1-isakmp-policy"
TSET = "cfg-crypto-tform-ipsec-mode"
ACL = "config-acl"
IFACE = "config-if-eth"

MAX_TRANSFORM_SETS = 4


class Refused(Exception):
    """The device refuses the command: `text` is its one-line error; `col` the offending column
    when the error points at a word."""

    def __init__(self, text: str, col: int | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.col = col


@dataclass
class Outcome:
    enter: tuple[str, dict[str, str]] | None = None  # push this mode
    leave: str | None = None  # "exit" (one level) or "end" (to Exec)
    changed: bool = False  # the running configuration changed (re-apply tunnels)
    dpd_changed: str | None = None  # context whose DPD setting changed


@dataclass(frozen=True)
class Env:
    """What a handler may read besides the configuration."""

    model: str  # "ASR 5000" / "ASR 5500"
    context: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Config, Env, CommandMatch], Outcome]


class ConfigHandlers:
    """The configuration handlers by grammar handler name (one table, built once)."""

    def __init__(self) -> None:
        self._table: dict[str, Handler] = {}

    def handler(self, name: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            if name in self._table:
                raise ValueError(f"duplicate configuration handler {name}")
            self._table[name] = fn
            return fn
        return deco

    def get(self, name: str) -> Handler | None:
        return self._table.get(name)

    def names(self) -> list[str]:
        return sorted(self._table)


HANDLERS = ConfigHandlers()
h = HANDLERS.handler


def _ctx(cfg: Config, env: Env) -> Context:
    return cfg.contexts[env.context["context"]]


def _changed() -> Outcome:
    return Outcome(changed=True)


# ---- navigation -------------------------------------------------------------------------------


@h("cfg-end")
def _end(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    return Outcome(leave="end")


@h("cfg-exit")
def _exit(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    return Outcome(leave="exit")


# ---- global configuration ---------------------------------------------------------------------


@h("cfg-context")
def _context(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    name = str(m.args["context"])
    changed = name not in cfg.contexts
    if changed:
        cfg.contexts[name] = Context(name)
    return Outcome(enter=(CTX, {"context": name}), changed=changed)


@h("cfg-no-context")
def _no_context(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    name = str(m.args["context"])
    if name == "local":
        raise Refused(msg.LOCAL_CONTEXT)
    if name not in cfg.contexts:
        raise Refused(msg.no_context(name))
    del cfg.contexts[name]
    return _changed()


@h("cfg-hostname")
def _hostname(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    cfg.hostname = str(m.args["hostname"])
    return _changed()


@h("cfg-snmp-community")
def _community(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    cfg.snmp_community = str(m.args["community"])
    return _changed()


@h("cfg-snmp-target")
def _snmp_target(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    name = str(m.args["target"])
    version = str(m.args.get("version", "2"))
    if version != "2":
        raise Refused(msg.SNMP_VERSION)
    cfg.snmp_targets[name] = SnmpTarget(name, str(m.args["address"]), int(m.args.get("port", 162)),
                                        str(m.args.get("security-name", "public")))
    return _changed()


@h("cfg-no-snmp-target")
def _no_snmp_target(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    name = str(m.args["target"])
    if cfg.snmp_targets.pop(name, None) is None:
        raise Refused(msg.not_found("SNMP target", name))
    return _changed()


# ---- context ----------------------------------------------------------------------------------


@h("ctx-administrator")
def _administrator(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    """`administrator NAME [encrypted] password SECRET | nopassword`: logins (the servers'
    `authenticate`) read it at once; tunnels are not affected."""
    from .config_text import decrypt

    secret = m.args.get("password")
    if m.args.get("nopassword"):
        if secret is not None:
            raise Refused(msg.PASSWORD_AND_NOPASSWORD)
        password = None
    elif secret is None:
        raise Refused(msg.PASSWORD_NEEDED)
    elif m.args.get("encrypted"):
        password = decrypt(str(secret))
        if not password:
            raise Refused(msg.BAD_ENCRYPTED_PASSWORD)
    else:
        password = str(secret)
        if len(password) > 63:
            raise Refused(msg.PASSWORD_LENGTH)
    name = str(m.args["user"])
    _ctx(cfg, env).administrators[name] = Administrator(name, password)
    return Outcome()


@h("ctx-no-administrator")
def _no_administrator(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    name = str(m.args["user"])
    if _ctx(cfg, env).administrators.pop(name, None) is None:
        raise Refused(msg.not_found("administrator", name))
    return Outcome()


@h("ctx-ikev1-dpd")
def _dpd(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    c.dpd = Dpd(int(m.args["interval"]), int(m.args["timeout"]), int(m.args["num-retry"]))
    return Outcome(changed=True, dpd_changed=c.name)


@h("ctx-no-ikev1-dpd")
def _no_dpd(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    c.dpd = None
    return Outcome(changed=True, dpd_changed=c.name)


@h("ctx-crypto-group")
def _group(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    name = str(m.args["group"])
    if name not in c.groups:
        if len(c.groups) >= MAX_CRYPTO_GROUPS:
            raise Refused(msg.GROUP_LIMIT)
        c.groups[name] = CryptoGroup(name)
    return Outcome(enter=(GROUP, {**env.context, "group": name}), changed=True)


@h("ctx-no-crypto-group")
def _no_group(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    name = str(m.args["group"])
    if name not in c.groups:
        raise Refused(msg.not_found("crypto group", name))
    users = [mp.name for mp in c.maps.values() if mp.group == name]
    if users:
        raise Refused(msg.group_in_use(name, users[0]))
    del c.groups[name]
    return _changed()


@h("ctx-crypto-map")
def _map(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    name = str(m.args["map-name"])
    mp = c.maps.get(name)
    if mp is None:
        mp = c.maps[name] = CryptoMap(name)
    if "sequence" in m.args:
        mp.seq = int(m.args["sequence"])
    return Outcome(enter=(MAP, {**env.context, "map": name}), changed=True)


@h("ctx-no-crypto-map")
def _no_map(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    name = str(m.args["map-name"])
    if c.maps.pop(name, None) is None:
        raise Refused(msg.not_found("crypto map", name))
    for itf in c.interfaces.values():
        if name in itf.crypto_maps:
            itf.crypto_maps.remove(name)
    return _changed()


@h("ctx-ikev1-policy")
def _policy(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    prio = int(m.args["priority"])
    c.ike_policies.setdefault(prio, IkePolicy(prio))
    return Outcome(enter=(POLICY, {**env.context, "policy": str(prio)}), changed=True)


@h("ctx-no-ikev1-policy")
def _no_policy(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    if c.ike_policies.pop(int(m.args["priority"]), None) is None:
        raise Refused(msg.not_found("ikev1 policy", str(m.args["priority"])))
    return _changed()


@h("ctx-transform-set")
def _tset(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    name = str(m.args["transform-set"])
    c.transform_sets.setdefault(name, TransformSet(name))
    return Outcome(enter=(TSET, {**env.context, "transform-set": name}), changed=True)


@h("ctx-no-transform-set")
def _no_tset(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    name = str(m.args["transform-set"])
    if c.transform_sets.pop(name, None) is None:
        raise Refused(msg.not_found("transform set", name))
    return _changed()


@h("ctx-access-list")
def _acl(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    name = str(m.args["acl"])
    c.acls.setdefault(name, [])
    return Outcome(enter=(ACL, {**env.context, "acl": name}), changed=True)


@h("ctx-no-access-list")
def _no_acl(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    name = str(m.args["acl"])
    if c.acls.pop(name, None) is None:
        raise Refused(msg.not_found("access list", name))
    return _changed()


@h("ctx-ip-pool")
def _pool(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    try:
        net = ipaddress.ip_network(f"{m.args['network']}/{m.args['mask']}", strict=True)
    except ValueError:
        raise Refused(msg.BAD_POOL) from None
    name = str(m.args["pool"])
    c.pools[name] = IpPool(name, str(net))
    return _changed()


@h("ctx-no-ip-pool")
def _no_pool(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    name = str(m.args["pool"])
    if name not in c.pools:
        raise Refused(msg.not_found("IP pool", name))
    users = [g.name for g in c.groups.values() if g.pool == name]
    if users:
        raise Refused(msg.pool_in_use(name, users[0]))
    del c.pools[name]
    return _changed()


@h("ctx-interface")
def _iface(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    name = str(m.args["interface"])
    c.interfaces.setdefault(name, Interface(name))
    return Outcome(enter=(IFACE, {**env.context, "interface": name}), changed=True)


@h("ctx-no-interface")
def _no_iface(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c = _ctx(cfg, env)
    if c.interfaces.pop(str(m.args["interface"]), None) is None:
        raise Refused(msg.not_found("interface", str(m.args["interface"])))
    return _changed()


# ---- crypto group (seed 003) --------------------------------------------------------------------


def _grp(cfg: Config, env: Env) -> CryptoGroup:
    return _ctx(cfg, env).groups[env.context["group"]]


def _existing_acl(cfg: Config, env: Env, m: CommandMatch) -> str:
    """`match address ACL` names an access list of the context, as `match ip pool` names a
    pool: an unknown one is refused (it would protect nothing; the tunnels could not agree)."""
    name = str(m.args["acl"])
    if name not in _ctx(cfg, env).acls:
        raise Refused(msg.not_found("access list", name))
    return name


@h("group-match-address")
def _g_match(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    g = _grp(cfg, env)
    g.match_address = _existing_acl(cfg, env, m)
    g.preference = int(m.args["preference"]) if "preference" in m.args else None
    return _changed()


@h("group-no-match-address")
def _g_no_match(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    g = _grp(cfg, env)
    g.match_address = g.preference = None
    return _changed()


@h("group-match-pool")
def _g_pool(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    # seed 003: "The match ip pool command is not supported within a crypto group on the
    # ASR 5500 platform."
    if "5500" in env.model:
        raise Refused(msg.POOL_ON_5500)
    c = _ctx(cfg, env)
    pool = str(m.args["pool"])
    if pool not in c.pools:
        raise Refused(msg.not_found("IP pool", pool))
    _grp(cfg, env).pool = pool
    return _changed()


@h("group-no-match-pool")
def _g_no_pool(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _grp(cfg, env).pool = None
    return _changed()


@h("group-switchover-auto")
def _g_auto(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _grp(cfg, env).switchover = "auto-do-not-revert" if m.args.get("do-not-revert") else "auto"
    return _changed()


@h("group-no-switchover")
def _g_manual(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _grp(cfg, env).switchover = "manual"
    return _changed()


# ---- crypto map -------------------------------------------------------------------------------


def _mp(cfg: Config, env: Env) -> CryptoMap:
    return _ctx(cfg, env).maps[env.context["map"]]


@h("map-peer")
def _m_peer(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _mp(cfg, env).peer = str(m.args["peer"])
    return _changed()


@h("map-no-peer")
def _m_no_peer(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _mp(cfg, env).peer = None
    return _changed()


@h("map-transform-set")
def _m_tset(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    mp = _mp(cfg, env)
    name = str(m.args["transform-set"])
    if name not in _ctx(cfg, env).transform_sets:
        raise Refused(msg.not_found("transform set", name))
    if name not in mp.transform_sets:
        if len(mp.transform_sets) >= MAX_TRANSFORM_SETS:
            raise Refused(msg.TSET_LIMIT)
        mp.transform_sets.append(name)
    return _changed()


@h("map-no-transform-set")
def _m_no_tset(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    mp = _mp(cfg, env)
    name = str(m.args["transform-set"])
    if name not in mp.transform_sets:
        raise Refused(msg.not_found("transform set", name))
    mp.transform_sets.remove(name)
    return _changed()


@h("map-psk")
def _m_psk(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _mp(cfg, env).psk = str(m.args["key"])
    return _changed()


@h("map-psk-encrypted")
def _m_psk_enc(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    from .config_text import decrypt

    key = decrypt(str(m.args["encrypted-key"]))
    if not key:
        raise Refused(msg.BAD_ENCRYPTED)
    _mp(cfg, env).psk = key
    return _changed()


@h("map-no-psk")
def _m_no_psk(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _mp(cfg, env).psk = None
    return _changed()


@h("map-lifetime")
def _m_life(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _mp(cfg, env).lifetime = int(m.args["seconds"])
    return _changed()


@h("map-no-lifetime")
def _m_no_life(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _mp(cfg, env).lifetime = None
    return _changed()


@h("map-match-address")
def _m_match(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    mp = _mp(cfg, env)
    mp.match_address = _existing_acl(cfg, env, m)
    mp.match_priority = int(m.args["priority"]) if "priority" in m.args else None
    return _changed()


@h("map-no-match-address")
def _m_no_match(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    mp = _mp(cfg, env)
    mp.match_address = mp.match_priority = None
    return _changed()


@h("map-match-group")
def _m_group(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    c, mp = _ctx(cfg, env), _mp(cfg, env)
    group, role = str(m.args["group"]), str(m.args["role"])
    if group not in c.groups:
        raise Refused(msg.not_found("crypto group", group))
    # a group has one primary and one secondary map
    holder = next((x for x in c.maps.values() if x is not mp and x.group == group and x.role == role), None)
    if holder is not None:
        raise Refused(msg.role_taken(group, role, holder.name))
    mp.group, mp.role = group, role
    return _changed()


@h("map-no-match-group")
def _m_no_group(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    mp = _mp(cfg, env)
    mp.group = mp.role = None
    return _changed()


# ---- ISAKMP policy and transform set ----------------------------------------------------------


def _pol(cfg: Config, env: Env) -> IkePolicy:
    return _ctx(cfg, env).ike_policies[int(env.context["policy"])]


@h("policy-auth-psk")
def _p_auth(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _pol(cfg, env).authentication = "pre-shared-key"
    return _changed()


@h("policy-encryption")
def _p_enc(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _pol(cfg, env).encryption = str(m.args["algorithm"])
    return _changed()


@h("policy-group")
def _p_group(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _pol(cfg, env).group = int(m.args["dh-group"])
    return _changed()


@h("policy-hash")
def _p_hash(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _pol(cfg, env).hash = str(m.args["algorithm"])
    return _changed()


@h("policy-lifetime")
def _p_life(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _pol(cfg, env).lifetime = int(m.args["seconds"])
    return _changed()


@h("policy-no")
def _p_no(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    """`no encryption|group|hash|lifetime`: back to the default."""
    what = m.words[-1]
    default = next(f.default for f in dataclasses.fields(IkePolicy) if f.name == what)
    setattr(_pol(cfg, env), what, default)
    return _changed()


def _ts(cfg: Config, env: Env) -> TransformSet:
    return _ctx(cfg, env).transform_sets[env.context["transform-set"]]


@h("tset-encryption")
def _t_enc(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    ts = _ts(cfg, env)
    if m.args["algorithm"] == "null" and ts.hmac == "none":
        raise Refused(msg.NULL_NULL)
    ts.encryption = str(m.args["algorithm"])
    return _changed()


@h("tset-hmac")
def _t_hmac(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    ts = _ts(cfg, env)
    if m.args["algorithm"] == "none" and ts.encryption == "null":
        raise Refused(msg.NULL_NULL)
    ts.hmac = str(m.args["algorithm"])
    return _changed()


@h("tset-group")
def _t_group(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    g = str(m.args["dh-group"])
    _ts(cfg, env).group = None if g == "none" else int(g)
    return _changed()


@h("tset-mode")
def _t_mode(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _ts(cfg, env).mode = str(m.args["mode"])
    return _changed()


# ---- access list and interface ------------------------------------------------------------------


def _side(toks: list[Token], i: int) -> tuple[str, int]:
    """One side of an ACL rule from token i: (prefix, next index)."""
    if i >= len(toks):
        raise Refused(msg.INCOMPLETE)
    t = toks[i]
    if t.text == "any":
        return "0.0.0.0/0", i + 1
    if t.text == "host":
        if i + 1 >= len(toks):
            raise Refused(msg.INCOMPLETE)
        return f"{_ipv4(toks[i + 1])}/32", i + 2
    addr = _ipv4(t)
    if i + 1 >= len(toks):
        raise Refused(msg.INCOMPLETE)
    wild = _ipv4(toks[i + 1])
    try:
        net = ipaddress.ip_network(f"{addr}/{wild}", strict=False)  # accepts host masks
        if str(net.hostmask) != wild:
            raise ValueError(wild)
    except ValueError:
        raise Refused(msg.INVALID_SYNTAX, toks[i + 1].start) from None
    return str(net), i + 2


def _ipv4(t: Token) -> str:
    try:
        return str(ipaddress.IPv4Address(t.text))
    except ValueError:
        raise Refused(msg.INVALID_SYNTAX, t.start) from None


def _rule(cfg: Config, env: Env, m: CommandMatch, action: str) -> Outcome:
    toks = m.rest.get("rule", [])
    src, i = _side(toks, 0)
    dst, i = _side(toks, i)
    if i < len(toks):
        raise Refused(msg.INVALID_SYNTAX, toks[i].start)
    rules = _ctx(cfg, env).acls[env.context["acl"]]
    rule = AclRule(action, src, dst)
    if rule not in rules:
        rules.append(rule)
    return _changed()


@h("acl-permit")
def _permit(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    return _rule(cfg, env, m, "permit")


@h("acl-deny")
def _deny(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    return _rule(cfg, env, m, "deny")


def _itf(cfg: Config, env: Env) -> Interface:
    return _ctx(cfg, env).interfaces[env.context["interface"]]


@h("if-ip-address")
def _if_addr(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    try:
        itf = ipaddress.ip_interface(f"{m.args['address']}/{m.args['mask']}")
    except ValueError:
        raise Refused(msg.BAD_MASK) from None
    _itf(cfg, env).address = str(itf)
    return _changed()


@h("if-no-ip-address")
def _if_no_addr(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    _itf(cfg, env).address = None
    return _changed()


@h("if-crypto-map")
def _if_map(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    name = str(m.args["map-name"])  # may name a map configured later (configuration files)
    itf = _itf(cfg, env)
    if name not in itf.crypto_maps:
        itf.crypto_maps.append(name)
    return _changed()


@h("if-no-crypto-map")
def _if_no_map(cfg: Config, env: Env, m: CommandMatch) -> Outcome:
    itf = _itf(cfg, env)
    name = str(m.args["map-name"])
    if name not in itf.crypto_maps:
        raise Refused(msg.not_found("crypto map", name))
    itf.crypto_maps.remove(name)
    return _changed()


def run(cfg: Config, env: Env, match: CommandMatch) -> Outcome:
    """Run one configuration command. Every handler checks before it changes anything, so a
    Refused command leaves the configuration as it was. KeyError: no such handler."""
    fn = HANDLERS.get(match.handler)
    if fn is None:
        raise KeyError(match.handler)
    return fn(cfg, env, match)


__all__ = ["HANDLERS", "ConfigHandlers", "Env", "Outcome", "Refused", "run"]
