"""Commit checks for Junos AS/MS PIC IPsec, reported at the statement's `[edit ...]` level.

Called from platforms/junos/check.py `check_config`. Each rule appends CheckError(path,
statement, message); the wording follows the Junos `error: ...` style of commit check output.
"""

from __future__ import annotations

from ....config.tree import ConfigNode, Path
from ..check import CheckError
from . import defaults as d
from .config import (
    IPSEC_VPN,
    IpsecConfig,
    Key,
    ManualDirection,
    Term,
    child,
    read_for_check,
    value,
    values,
)


def check(tree: ConfigNode, model: str = "") -> list[CheckError]:
    cfg = read_for_check(tree)  # the compile after the commit takes this view (config.take_checked)
    errors: list[CheckError] = []
    _proposals(cfg, errors)
    _policies(cfg, errors)
    for rule in cfg.rules.values():
        for term in rule.terms:
            _term(cfg, term, model, errors)
    _service_sets(cfg, errors)
    _access(cfg, errors)
    _sp_units(cfg, errors)
    return errors


def _err(errors: list[CheckError], path: Path, statement: str, message: str) -> None:
    errors.append(CheckError(path, statement, message))


# ---- proposals and policies -------------------------------------------------------------------


def _lifetime(node: ConfigNode, path: Path, errors: list[CheckError]) -> None:
    v = value(node, "lifetime-seconds")
    lo, hi = d.LIFETIME_RANGE
    if v is not None and not lo <= int(v) <= hi:
        _err(errors, path, f"lifetime-seconds {v}", f"Value {v} is not within range ({lo}..{hi})")


def _proposals(cfg: IpsecConfig, errors: list[CheckError]) -> None:
    for name, p in cfg.ike_proposals.items():
        _lifetime(p, IPSEC_VPN + (("ike", None), ("proposal", name)), errors)
    for name, p in cfg.ipsec_proposals.items():
        path = IPSEC_VPN + (("ipsec", None), ("proposal", name))
        _lifetime(p, path, errors)
        proto = value(p, "protocol") or d.table55("ipsec proposal protocol")
        if proto == "ah" and value(p, "encryption-algorithm") is not None:
            _err(errors, path, "encryption-algorithm " + (value(p, "encryption-algorithm") or ""),
                 "encryption-algorithm is not valid with protocol ah")


def _ike_methods(cfg: IpsecConfig, policy: ConfigNode) -> set[str]:
    names = values(policy, "proposals")
    if not names:
        return {d.table55("ike proposal authentication-method")}
    return {value(cfg.ike_proposals[n], "authentication-method") or d.table55("ike proposal authentication-method")
            for n in names if n in cfg.ike_proposals}


def _policies(cfg: IpsecConfig, errors: list[CheckError]) -> None:
    for name, pol in cfg.ike_policies.items():
        path = IPSEC_VPN + (("ike", None), ("policy", name))
        methods = _ike_methods(cfg, pol)
        psk = child(pol, "pre-shared-key")
        if "pre-shared-keys" in methods and psk is None:
            _err(errors, path, "pre-shared-key", "pre-shared-key is required when the authentication method is pre-shared-keys")
        if "rsa-signatures" in methods and value(pol, "local-certificate") is None:
            _err(errors, path, "local-certificate", "local-certificate is required when the authentication method is rsa-signatures")
        if psk is not None:
            key = Key("hexadecimal" if child(psk, "hexadecimal") else "ascii-text",
                      value(psk, "hexadecimal") or value(psk, "ascii-text") or "", path)
            if key.raw() is None:
                _err(errors, path, "pre-shared-key", "Invalid hexadecimal key")


# ---- rule terms -------------------------------------------------------------------------------


def _term(cfg: IpsecConfig, t: Term, model: str, errors: list[CheckError]) -> None:
    then = t.path + (("then", None),)
    if t.backup is not None:
        if model.lower().startswith("j"):
            _err(errors, then, f"backup-remote-gateway {t.backup}",
                 f"backup-remote-gateway is not supported on this platform ({model})")
        if t.remote is None:
            _err(errors, then, f"backup-remote-gateway {t.backup}", "backup-remote-gateway requires remote-gateway")
        elif t.backup == t.remote:
            _err(errors, then, f"backup-remote-gateway {t.backup}", "backup-remote-gateway must differ from remote-gateway")
    if not t.dynamic and not t.manual and (t.remote is not None):
        _err(errors, then, "dynamic", "Either dynamic or manual security association must be configured")
    if t.manual:
        if t.remote is None:
            _err(errors, then, "remote-gateway", "remote-gateway is required for a manual security association")
        for md in t.manual:
            _manual(md, errors)


def _manual(md: ManualDirection, errors: list[CheckError]) -> None:
    lo, hi = d.SPI_RANGE
    if md.spi is None:
        _err(errors, md.path, "spi", "Missing mandatory statement: 'spi'")
    elif not lo <= md.spi <= hi:
        _err(errors, md.path, f"spi {md.spi}", f"SPI {md.spi} is out of range ({lo}..{hi})")
    proto = md.protocol
    if proto is None:
        _err(errors, md.path, "protocol", "Missing mandatory statement: 'protocol'")
    if proto == "bundle":
        alo, ahi = d.AUX_SPI_RANGE
        if md.aux_spi is None:
            _err(errors, md.path, "auxiliary-spi", "auxiliary-spi is required for protocol bundle")
        elif not alo <= md.aux_spi <= ahi:
            _err(errors, md.path, f"auxiliary-spi {md.aux_spi}", f"auxiliary-spi {md.aux_spi} is out of range ({alo}..{ahi})")
    if proto in ("ah", "bundle") or (proto == "esp" and md.auth_alg is not None):
        _alg_key(md.path + (("authentication", None),), md.auth_alg, md.auth_key, errors)
    if proto in ("esp", "bundle"):
        if md.enc_alg is None and md.auth_alg is None:
            _err(errors, md.path, "encryption", "Missing mandatory statement: 'encryption'")
        elif md.enc_alg is not None:
            _alg_key(md.path + (("encryption", None),), md.enc_alg, md.enc_key, errors)
    if proto == "ah" and md.enc_alg is not None:
        _err(errors, md.path, "encryption", "encryption is not valid with protocol ah")


def _alg_key(path: Path, alg: str | None, key: Key | None, errors: list[CheckError]) -> None:
    if alg is None:
        _err(errors, path, "algorithm", "Missing mandatory statement: 'algorithm'")
        return
    if key is None:
        _err(errors, path, "key", "Missing mandatory statement: 'key'")
        return
    raw = key.raw()
    shown = f"key {key.fmt} {key.stored}"
    if raw is None:
        _err(errors, path, shown, "Invalid hexadecimal key")
        return
    bits = d.KEY_BITS[alg]
    if len(raw) * 8 != bits:
        need = f"{bits // 8} ASCII characters" if key.fmt == "ascii-text" else f"{bits // 4} hexadecimal digits"
        _err(errors, path, shown, f"Invalid key length for {alg}: {len(raw) * 8} bits, must be {bits} bits ({need})")
        return
    if alg in ("des-cbc", "3des-cbc"):
        why = des_weakness(raw)
        if why:
            _err(errors, path, shown, f"{alg} key is {why}")


_MASK = 0xFE  # DES ignores the low (parity) bit of each key byte


def _masked(b: bytes) -> bytes:
    return bytes(x & _MASK for x in b)


_WEAK = {_masked(bytes.fromhex(k)) for k in d.WEAK_KEYS}
_SEMIWEAK = {_masked(bytes.fromhex(k)) for pair in d.SEMIWEAK_PAIRS for k in pair}


def des_weakness(raw: bytes) -> str | None:
    """"a weak key" / "a semi-weak key" if any 8-byte DES subkey is in Table 54 (parity masked)."""
    for i in range(0, len(raw) - 7, 8):
        sub = _masked(raw[i:i + 8])
        if sub in _WEAK:
            return "a weak key"
        if sub in _SEMIWEAK:
            return "a semi-weak key"
    return None


# ---- service sets, access profiles, sp- units -------------------------------------------------


def _service_sets(cfg: IpsecConfig, errors: list[CheckError]) -> None:
    for ss in cfg.service_sets.values():
        opts = ss.path + (("ipsec-vpn-options", None),)
        for r in ss.rules:
            if r not in cfg.rules and r not in cfg.rule_sets:
                _err(errors, ss.path, f"ipsec-vpn-rules {r}", f"Referenced ipsec-vpn rule or rule-set '{r}' is not defined")
        if (ss.rules or ss.access_profiles) and ss.local_gateway is None:
            _err(errors, opts, "local-gateway", "local-gateway must be configured for an IPSec service set")
        if ss.rules or ss.access_profiles:
            if ss.kind is None:
                _err(errors, ss.path, "interface-service", "Either interface-service or next-hop-service must be configured")
        if len(ss.local_gateways) > 1:
            _err(errors, opts, f"local-gateway {ss.local_gateways[1]}", "Only one local-gateway can be configured")
        if len(ss.access_profiles) > 1:
            _err(errors, opts, f"ike-access-profile {ss.access_profiles[1]}",
                 "Only one ike-access-profile can be referenced in a service set")
        if ss.access_profiles and ss.local_gateway:
            for other in cfg.service_sets.values():
                if other is not ss and other.local_gateway == ss.local_gateway:
                    _err(errors, other.path + (("ipsec-vpn-options", None),), f"local-gateway {ss.local_gateway}",
                         f"local-gateway {ss.local_gateway} is used by service-set {ss.name} with an ike-access-profile; it cannot be shared")
        if ss.kind == "next-hop":
            for which, itf in (("inside", ss.inside), ("outside", ss.outside)):
                if itf is None:
                    _err(errors, ss.path + (("next-hop-service", None),), f"{which}-service-interface",
                         f"Missing mandatory statement: '{which}-service-interface'")
                    continue
                unit = cfg.sp_units.get(itf)
                if unit is not None and unit.service_domain != which:
                    _err(errors, ss.path + (("next-hop-service", None),), f"{which}-service-interface {itf}",
                         f"service-domain {which} must be configured on {itf}")
        for rule in cfg.rules_of(ss):
            for t in rule.terms:
                if t.remote is None and t.manual == [] and not ss.access_profiles:
                    _err(errors, t.path + (("then", None),), "remote-gateway",
                         f"remote-gateway is required (service-set {ss.name} has no ike-access-profile)")
                if t.remote is None and t.dynamic and ss.access_profiles:
                    pol = cfg.ike_policies.get(t.ike_policy or "")
                    if pol is not None and (value(pol, "mode") or "main") != "main":
                        _err(errors, IPSEC_VPN + (("ike", None), ("policy", t.ike_policy)), "mode aggressive",
                             "Dynamic peers support only IKE main mode")
                    if pol is not None and _ike_methods(cfg, pol) != {"pre-shared-keys"}:
                        _err(errors, IPSEC_VPN + (("ike", None), ("policy", t.ike_policy)), "proposals",
                             "Dynamic peers support only the pre-shared-keys authentication method")


def _access(cfg: IpsecConfig, errors: list[CheckError]) -> None:
    used = {p for ss in cfg.service_sets.values() for p in ss.access_profiles}
    for ap in cfg.access_profiles.values():
        if ap.name in used and ap.psk is None:
            _err(errors, ap.path, "pre-shared-key", "Dynamic peers support only pre-shared-key authentication: pre-shared-key is required")
        if ap.psk is not None and ap.psk.raw() is None:
            _err(errors, ap.path, "pre-shared-key", "Invalid hexadecimal key")


def _sp_units(cfg: IpsecConfig, errors: list[CheckError]) -> None:
    interface_service = {ss.service_interface for ss in cfg.service_sets.values() if ss.service_interface}
    for u in cfg.sp_units.values():
        # A unit of a dynamic-peer pool (dial-options) takes no service-domain: seed 002's
        # interface-identifier example configures none.
        dial_pool = u.ipsec_interface_id is not None or u.l2tp_interface_id is not None or u.shared or u.dedicated
        if u.unit != "0" and u.service_domain is None and u.name not in interface_service and not dial_pool:
            _err(errors, u.path, "service-domain", "service-domain must be configured on a services logical unit other than unit 0")
        dial = u.path + (("dial-options", None),)
        if u.ipsec_interface_id is not None and u.l2tp_interface_id is not None:
            _err(errors, dial, f"l2tp-interface-id {u.l2tp_interface_id}",
                 "ipsec-interface-id and l2tp-interface-id cannot be configured together")
        if u.ipsec_interface_id is not None and not u.dedicated:
            _err(errors, dial, f"ipsec-interface-id {u.ipsec_interface_id}", "dedicated must be configured with ipsec-interface-id")
