"""Commit checks for the ES PIC ([edit security ipsec|ike], es- units, ipsec-sa users).

Manual SA directions go through the AS/MS PIC checks (ipsec/checks.py: SPI range 256..16639,
mandatory protocol/algorithms, Table 53 key lengths, Table 54 weak DES keys). The rest is ES PIC
specific: an es- unit needs a tunnel-mode SA and its tunnel endpoints; routing protocols need a
manual bidirectional transport-mode SA (seed 002: "the JUNOS software supports only bidirectional
security associations over OSPFv2").
"""

from __future__ import annotations

from ....config.tree import ConfigNode
from ..check import CheckError
from ..ipsec.checks import _manual as check_manual_direction
from ..ipsec.config import Key, child, value, values
from .config import IKE, EsConfig, read

_PROTOCOL_NAMES = {"ospf": "OSPF", "ospf3": "OSPFv3", "bgp": "BGP"}


def check(tree: ConfigNode) -> list[CheckError]:
    cfg = read(tree)
    errors: list[CheckError] = []
    _sas(cfg, errors)
    _ike(cfg, errors)
    _uses(cfg, errors)
    _units(cfg, errors)
    return errors


def _sas(cfg: EsConfig, errors: list[CheckError]) -> None:
    for sa in cfg.sas.values():
        if sa.manual is None and not sa.dynamic:
            errors.append(CheckError(sa.path, "manual", "Either dynamic or manual security association must be configured"))
        if sa.manual is not None:
            if not sa.manual:
                errors.append(CheckError(sa.path + (("manual", None),), "direction", "Missing mandatory statement: 'direction'"))
            dirs = {md.direction for md in sa.manual}
            if "bidirectional" in dirs and len(dirs) > 1:
                errors.append(CheckError(sa.path + (("manual", None),), "direction bidirectional",
                                         "direction bidirectional cannot be configured with inbound or outbound"))
            for md in sa.manual:
                check_manual_direction(md, errors)
        if sa.dynamic and sa.ipsec_policy is None:
            errors.append(CheckError(sa.path + (("dynamic", None),), "ipsec-policy", "Missing mandatory statement: 'ipsec-policy'"))
        if sa.dynamic and sa.mode == "transport":
            errors.append(CheckError(sa.path, "mode transport", "Transport mode is supported only with manual security associations"))


def _ike(cfg: EsConfig, errors: list[CheckError]) -> None:
    for name, pol in cfg.ike_policies.items():
        path = IKE + (("policy", name),)
        methods = {value(cfg.ike_proposals.get(p), "authentication-method") or "pre-shared-keys" for p in values(pol, "proposals")} \
            or {"pre-shared-keys"}
        psk = child(pol, "pre-shared-key")
        if "pre-shared-keys" in methods and psk is None:
            errors.append(CheckError(path, "pre-shared-key", "pre-shared-key is required when the authentication method is pre-shared-keys"))
        if psk is not None:
            key = Key("hexadecimal" if child(psk, "hexadecimal") else "ascii-text",
                      value(psk, "hexadecimal") or value(psk, "ascii-text") or "", path)
            if key.raw() is None:
                errors.append(CheckError(path, "pre-shared-key", "Invalid hexadecimal key"))


def _uses(cfg: EsConfig, errors: list[CheckError]) -> None:
    for use in cfg.uses:
        sa = cfg.sas.get(use.sa)
        if sa is None:
            continue  # the schema's @ref check reports it
        stmt = f"ipsec-sa {use.sa}"
        if use.kind in ("es-unit", "filter"):
            if (sa.mode or "tunnel") != "tunnel":
                errors.append(CheckError(use.path, stmt, f"security-association {use.sa} must be in tunnel mode"))
            continue
        proto = _PROTOCOL_NAMES[use.kind]
        if sa.mode != "transport":
            errors.append(CheckError(use.path, stmt, f"{proto} requires a transport mode security association: {use.sa}"))
        if sa.manual is None or any(md.direction != "bidirectional" for md in sa.manual):
            errors.append(CheckError(use.path, stmt, f"{proto} supports only manual bidirectional security associations: {use.sa}"))


def _units(cfg: EsConfig, errors: list[CheckError]) -> None:
    for u in cfg.es_units.values():
        if u.ipsec_sa is None:
            continue
        tun = u.path + (("tunnel", None),)
        if u.source is None:
            errors.append(CheckError(tun, "source", "Missing mandatory statement: 'source'"))
        if u.destination is None:
            errors.append(CheckError(tun, "destination", "Missing mandatory statement: 'destination'"))
        if u.backup is not None and u.backup == u.destination:
            errors.append(CheckError(tun, f"backup-destination {u.backup}", "backup-destination must differ from destination"))
    for name, path in cfg.other_units_with_sa:
        errors.append(CheckError(path + (("family", None), ("inet", None)), "ipsec-sa",
                                 f"ipsec-sa is valid only on ES PIC (es-) interfaces: {name}"))
