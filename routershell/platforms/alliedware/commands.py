"""AlliedWare configuration commands: each changes the running state at once, or changes
nothing and prints the device's error.

A handler takes (router, args, ctx) and returns the text to print. `args` are the parsed
parameters keyed by the grammar's keyword (`"PEer"`, `"RETRYIKEattempts"`); choices come back as
the grammar spells them and are compared in upper case. Every change is made on a copy of the
configuration, checked, then installed and applied (`Router.install`), so a refused command
leaves the running state exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import messages as m
from .model import CONTINUOUS, Bundle, Config, EncoKey, IpsecPolicy, IsakmpPolicy, SaSpec, User
from .router import Router


@dataclass
class Ctx:
    """The session a command runs in."""

    user: str = "manager"
    level: str = "MANAGER"  # USER | MANAGER | SECURITYOFFICER
    logoff: bool = False  # set by LOGOFF: the session ends after this command
    script: bool = False  # a configuration script at boot (no interactive-only checks)


class Refused(Exception):
    """A check failed: `text` is the device's error line; nothing changes."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


Handler = Callable[[Router, dict[str, Any], Ctx], str]


def _up(v: object) -> str:
    return str(v).upper()


def _retry_value(v: object) -> int | str:
    return CONTINUOUS if _up(v) == "CONTINUOUS" else int(str(v))


def _change(r: Router, module: int, mutate: Callable[[Config], None]) -> str:
    new = r.config.copy()
    try:
        mutate(new)
    except Refused as e:
        return e.text
    r.install(new)
    return m.ok(module)


# ---- ISAKMP -----------------------------------------------------------------------------------

_ISAKMP_FIELDS = {
    "KEY": ("key", int), "ENCalg": ("encalg", _up), "HASHalg": ("hashalg", _up),
    "GROup": ("group", int), "MODe": ("mode", _up), "EXPIRYSeconds": ("expiry", int),
    "LOCALID": ("localid", str), "REMOTEID": ("remoteid", str),
    "SENDNotify": ("sendnotify", lambda v: _up(v) == "TRUE"),
    "MSGBackoff": ("msgbackoff", _up), "MSGRetrylimit": ("msgretrylimit", int),
    "MSGTimeout": ("msgtimeout", int), "RETRYIKEattempts": ("retryike", _retry_value),
}


def _isakmp_params(cfg: Config, p: IsakmpPolicy, a: dict[str, Any]) -> None:
    if "PEer" in a:
        p.peer = "ANY" if _up(a["PEer"]) == "ANY" else str(a["PEer"])
    for key, (attr, conv) in _ISAKMP_FIELDS.items():
        if key in a:
            setattr(p, attr, conv(a[key]))
    if p.group not in (1, 2, 5):
        raise Refused(m.error(m.ISAKMP, 121, f"GROUP {p.group} is not supported; use 1, 2 or 5."))
    if p.key is not None and "KEY" in a:
        k = cfg.keys.get(p.key)
        if k is None or k.type != "GENERAL":
            raise Refused(m.error(m.ISAKMP, 122, f"ENCO key {p.key} does not exist or is not a general key."))
    if p.retryike != 0 and not p.specific_peer:
        # release note: "only valid when a specific peer IP address is configured"
        raise Refused(m.error(m.ISAKMP, 130, "RETRYIKEATTEMPTS is only valid with a specific PEER address."))


def create_isakmp_policy(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    name = str(a["POLicy"])

    def mutate(cfg: Config) -> None:
        if name.lower() in cfg.isakmp:
            r.counters.bump("addPolicyFailed")
            raise Refused(m.error(m.ISAKMP, 105, f"ISAKMP policy {name} already exists."))
        p = IsakmpPolicy(name, "ANY")
        try:
            _isakmp_params(cfg, p, a)
        except Refused:
            r.counters.bump("addPolicyFailed")
            raise
        cfg.isakmp[name.lower()] = p
        r.counters.bump("addPolicyGood")

    return _change(r, m.ISAKMP, mutate)


def set_isakmp_policy(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    name = str(a["POLicy"])

    def mutate(cfg: Config) -> None:
        if name.lower() not in cfg.isakmp:
            r.counters.bump("getPolicyFailed")
            raise Refused(m.error(m.ISAKMP, 106, f"ISAKMP policy {name} does not exist."))
        r.counters.bump("getPolicyGood")
        p = cfg.own("isakmp", name.lower())
        _isakmp_params(cfg, p, a)

    return _change(r, m.ISAKMP, mutate)


def destroy_isakmp_policy(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    name = str(a["POLicy"])

    def mutate(cfg: Config) -> None:
        users = [q.name for q in cfg.ipsec.values() if (q.isakmp or "").lower() == name.lower()]
        if users and name.lower() in cfg.isakmp:
            # as an IP interface in use: the IPsec policy would name a policy that is gone
            r.counters.bump("deletePolicyFailed")
            raise Refused(m.error(m.ISAKMP, 107, f"ISAKMP policy {name} is used by IPsec policy {users[0]}."))
        if cfg.isakmp.pop(name.lower(), None) is None:
            r.counters.bump("deletePolicyFailed")
            raise Refused(m.error(m.ISAKMP, 106, f"ISAKMP policy {name} does not exist."))
        r.counters.bump("deletePolicyGood")

    return _change(r, m.ISAKMP, mutate)


# ---- IPsec ------------------------------------------------------------------------------------


def _module_switch(module: str, label: str, attr: str, on: bool) -> Any:
    """ENAble/DISable of a module (ISAKMP, IPsec, IP): refused when it already is so."""

    def run(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
        if getattr(r.config, attr) == on:
            return m.error(module, 101 if on else 102, f"{label} is already {'enabled' if on else 'disabled'}.")
        return _change(r, module, lambda c: setattr(c, attr, on))

    return run


enable_isakmp = _module_switch(m.ISAKMP, "ISAKMP", "isakmp_enabled", True)
disable_isakmp = _module_switch(m.ISAKMP, "ISAKMP", "isakmp_enabled", False)
enable_ipsec = _module_switch(m.IPSEC, "IPsec", "ipsec_enabled", True)
disable_ipsec = _module_switch(m.IPSEC, "IPsec", "ipsec_enabled", False)
enable_ip = _module_switch(m.IP, "IP", "ip_enabled", True)
disable_ip = _module_switch(m.IP, "IP", "ip_enabled", False)


def create_ipsec_saspec(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    sid = int(a["SASpecification"])

    def mutate(cfg: Config) -> None:
        if sid in cfg.saspecs:
            raise Refused(m.error(m.IPSEC, 110, f"SA specification {sid} already exists."))
        proto = _up(a["PROTocol"])
        enc = _up(a.get("ENCalg", "DES" if proto == "ESP" else "NULL"))
        hsh = _up(a.get("HASHalg", "SHA"))
        if proto == "AH" and (enc != "NULL" or hsh == "NULL"):
            raise Refused(m.error(m.IPSEC, 111, "AH needs HASHALG and takes no ENCALG."))
        if proto == "ESP" and enc == "NULL" and hsh == "NULL":
            raise Refused(m.error(m.IPSEC, 112, "ESP needs ENCALG or HASHALG."))
        cfg.saspecs[sid] = SaSpec(sid, _up(a["KEYMANagement"]), proto, enc, hsh, _up(a.get("MODe", "TUNNEL")))

    return _change(r, m.IPSEC, mutate)


def create_ipsec_bundle(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    bid = int(a["BUNDlespecification"])

    def mutate(cfg: Config) -> None:
        if bid in cfg.bundles:
            raise Refused(m.error(m.IPSEC, 113, f"Bundle specification {bid} already exists."))
        b = Bundle(bid, _up(a["KEYMANagement"]), str(a["STRing"]), int(a.get("EXPIRYSeconds", 28800)),
                   int(a["EXPIRYKbytes"]) if "EXPIRYKbytes" in a else None)
        alts = b.alternatives()
        if not alts:
            raise Refused(m.error(m.IPSEC, 114, f'Bundle string "{b.string}" is not valid.'))
        for sid in (s for alt in alts for s in alt):
            if sid not in cfg.saspecs:
                raise Refused(m.error(m.IPSEC, 115, f"SA specification {sid} does not exist."))
        cfg.bundles[bid] = b

    return _change(r, m.IPSEC, mutate)


_POLICY_FIELDS = {
    "BUNDlespecification": ("bundle", int), "GROup": ("group", int), "ISAkmppolicy": ("isakmp", str),
    "KEYmanagement": ("keymanagement", _up), "LMAsk": ("lmask", str), "RMAsk": ("rmask", str),
    "USEPFSKey": ("usepfskey", lambda v: _up(v) == "TRUE"),
}
_KEPT = ("IPVersion", "DFBit", "LPort", "RPort", "RESPondbadspi", "SRCInterface",
         "TRAnsportprotocol", "UDPHeartbeat", "UDPPort", "UDPTunnel")


def _address(v: object) -> str:
    return "ANY" if _up(v) == "ANY" else str(v)


def _policy_params(cfg: Config, p: IpsecPolicy, a: dict[str, Any]) -> None:
    for key, (attr, conv) in _POLICY_FIELDS.items():
        if key in a:
            setattr(p, attr, conv(a[key]))
    if "PEERaddress" in a:
        v = _up(a["PEERaddress"])
        p.peeraddress = v if v in ("ANY", "DYNAMIC") else str(a["PEERaddress"])
    if "LADdress" in a:
        p.laddress = _address(a["LADdress"])
    if "RADdress" in a:
        p.raddress = _address(a["RADdress"])
    for key in _KEPT:
        if key in a:
            p.other[key.lower()] = str(a[key]).lower()
    if p.bundle is not None and p.bundle not in cfg.bundles:
        raise Refused(m.error(m.IPSEC, 116, f"Bundle specification {p.bundle} does not exist."))
    if p.isakmp is not None and p.isakmp.lower() not in cfg.isakmp:
        raise Refused(m.error(m.IPSEC, 117, f"ISAKMP policy {p.isakmp} does not exist."))


def create_ipsec_policy(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    name = str(a["POLicy"])

    def mutate(cfg: Config) -> None:
        if name.lower() in cfg.ipsec:
            raise Refused(m.error(m.IPSEC, 120, f"IPsec policy {name} already exists."))
        iface = str(a["INTerface"]).lower()
        if iface not in cfg.interfaces:
            raise Refused(m.error(m.IPSEC, 121, f"Interface {iface} is not an IP interface."))
        ordered = cfg.ipsec_ordered()
        pos = int(a.get("POSition", len(ordered) + 1))
        pos = max(1, min(pos, len(ordered) + 1))
        for q in ordered:
            if q.position >= pos:
                cfg.own("ipsec", q.name.lower()).position += 1
        p = IpsecPolicy(name, iface, _up(a["ACtion"]), pos)
        _policy_params(cfg, p, a)
        cfg.ipsec[name.lower()] = p

    return _change(r, m.IPSEC, mutate)


def set_ipsec_policy(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    name = str(a["POLicy"])

    def mutate(cfg: Config) -> None:
        if name.lower() not in cfg.ipsec:
            raise Refused(m.error(m.IPSEC, 122, f"IPsec policy {name} does not exist."))
        _policy_params(cfg, cfg.own("ipsec", name.lower()), a)

    return _change(r, m.IPSEC, mutate)


def destroy_ipsec_policy(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    name = str(a["POLicy"])

    def mutate(cfg: Config) -> None:
        p = cfg.ipsec.pop(name.lower(), None)
        if p is None:
            raise Refused(m.error(m.IPSEC, 122, f"IPsec policy {name} does not exist."))
        for q in list(cfg.ipsec.values()):
            if q.position > p.position:
                cfg.own("ipsec", q.name.lower()).position -= 1

    return _change(r, m.IPSEC, mutate)


def destroy_ipsec_saspec(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    sid = int(a["SASpecification"])

    def mutate(cfg: Config) -> None:
        if sid not in cfg.saspecs:
            raise Refused(m.error(m.IPSEC, 123, f"SA specification {sid} does not exist."))
        for b in cfg.bundles.values():
            if any(sid in alt for alt in b.alternatives()):
                raise Refused(m.error(m.IPSEC, 124, f"SA specification {sid} is used by bundle {b.id}."))
        del cfg.saspecs[sid]

    return _change(r, m.IPSEC, mutate)


def destroy_ipsec_bundle(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    bid = int(a["BUNDlespecification"])

    def mutate(cfg: Config) -> None:
        if bid not in cfg.bundles:
            raise Refused(m.error(m.IPSEC, 125, f"Bundle specification {bid} does not exist."))
        for p in cfg.ipsec.values():
            if p.bundle == bid:
                raise Refused(m.error(m.IPSEC, 126, f"Bundle specification {bid} is used by policy {p.name}."))
        del cfg.bundles[bid]

    return _change(r, m.IPSEC, mutate)


# ---- ENCO -------------------------------------------------------------------------------------


def create_enco_key(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    kid = int(a["KEY"])

    def mutate(cfg: Config) -> None:
        if kid in cfg.keys:
            raise Refused(m.error(m.ENCO, 101, f"Key {kid} already exists."))
        if "VALue" not in a:
            raise Refused(m.error(m.ENCO, 102, "A VALUE is required for this key type."))
        cfg.keys[kid] = EncoKey(kid, _up(a["TYPE"]), str(a["VALue"]), str(a.get("DEScription", "")))

    return _change(r, m.ENCO, mutate)


def destroy_enco_key(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    kid = int(a["KEY"])

    def mutate(cfg: Config) -> None:
        if cfg.keys.pop(kid, None) is None:
            raise Refused(m.error(m.ENCO, 103, f"Key {kid} does not exist."))

    return _change(r, m.ENCO, mutate)


# ---- system, users, IP ------------------------------------------------------------------------


def enable_security_mode(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    if r.config.security_mode:
        return m.error(m.SYSTEM, 110, "Security mode is already enabled.")
    if not ctx.script and not any(u.privilege == "SECURITYOFFICER" for u in r.config.users.values()):
        # otherwise nobody could change the security configuration any more
        return m.error(m.SYSTEM, 111, "A user with Security Officer privilege must exist first.")
    return _change(r, m.SYSTEM, lambda c: setattr(c, "security_mode", True))


def disable_security_mode(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    if not r.config.security_mode:
        return m.error(m.SYSTEM, 112, "Security mode is already disabled.")
    return _change(r, m.SYSTEM, lambda c: setattr(c, "security_mode", False))


def set_system_name(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    return _change(r, m.SYSTEM, lambda c: setattr(c, "system_name", str(a["NAme"])))


def add_user(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    name = str(a["USEr"]).lower()

    def mutate(cfg: Config) -> None:
        if name in cfg.users:
            raise Refused(m.error(m.USER, 101, f"User {name} already exists."))
        cfg.users[name] = User(name, str(a["PASSword"]), _up(a.get("PRIVilege", "USER")))

    return _change(r, m.USER, mutate)


def delete_user(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    name = str(a["USEr"]).lower()

    def mutate(cfg: Config) -> None:
        if name == "manager" or name == ctx.user:
            raise Refused(m.error(m.USER, 103, f"User {name} cannot be deleted."))
        if cfg.users.pop(name, None) is None:
            raise Refused(m.error(m.USER, 102, f"User {name} does not exist."))

    return _change(r, m.USER, mutate)


def set_password(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    def mutate(cfg: Config) -> None:
        u = cfg.users.get(ctx.user)
        if u is None or u.password != str(a["OLDpassword"]):
            raise Refused(m.error(m.USER, 104, "Old password is incorrect."))
        u = cfg.own("users", ctx.user)
        u.password = str(a["NEWpassword"])

    return _change(r, m.USER, mutate)


def add_ip_interface(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    name = str(a["INTerface"]).lower()

    def mutate(cfg: Config) -> None:
        if name in cfg.interfaces:
            raise Refused(m.error(m.IP, 110, f"Interface {name} already has an IP address."))
        if not r.has_port(name):
            raise Refused(m.error(m.IP, 111, f"Interface {name} does not exist."))
        cfg.interfaces[name] = (str(a["IPaddress"]), str(a.get("MASK", "255.255.255.0")))

    return _change(r, m.IP, mutate)


def delete_ip_interface(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    name = str(a["INTerface"]).lower()

    def mutate(cfg: Config) -> None:
        if cfg.interfaces.pop(name, None) is None:
            raise Refused(m.error(m.IP, 112, f"Interface {name} has no IP address."))
        for p in cfg.ipsec.values():
            if p.interface == name:
                raise Refused(m.error(m.IP, 113, f"Interface {name} is used by IPsec policy {p.name}."))

    return _change(r, m.IP, mutate)


def logoff(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    ctx.logoff = True
    return ""


def handlers() -> dict[str, Handler]:
    """The configuration handlers by grammar handler name."""
    return {
        "create-isakmp-policy": create_isakmp_policy, "set-isakmp-policy": set_isakmp_policy,
        "destroy-isakmp-policy": destroy_isakmp_policy, "enable-isakmp": enable_isakmp,
        "disable-isakmp": disable_isakmp, "enable-ipsec": enable_ipsec,
        "disable-ipsec": disable_ipsec, "create-ipsec-saspec": create_ipsec_saspec,
        "create-ipsec-bundle": create_ipsec_bundle, "create-ipsec-policy": create_ipsec_policy,
        "set-ipsec-policy": set_ipsec_policy, "destroy-ipsec-policy": destroy_ipsec_policy,
        "destroy-ipsec-saspec": destroy_ipsec_saspec, "destroy-ipsec-bundle": destroy_ipsec_bundle,
        "create-enco-key": create_enco_key, "destroy-enco-key": destroy_enco_key,
        "set-system-name": set_system_name, "enable-security-mode": enable_security_mode,
        "disable-security-mode": disable_security_mode, "add-user": add_user, "delete-user": delete_user,
        "set-password": set_password, "enable-ip": enable_ip, "disable-ip": disable_ip,
        "add-ip-interface": add_ip_interface, "delete-ip-interface": delete_ip_interface,
        "logoff": logoff,
    }
