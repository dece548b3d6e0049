"""The AlliedWare running configuration: the objects the CREate/SET/ADD commands make.

AlliedWare has no candidate configuration: every command changes the running state at once, and
the configuration *is* a command script (`SHow CONFIG DYNamic`, `CREate CONFIG=file.cfg`, the boot
script run at start-up). `script(cfg)` renders the running state back as that script, in module
order, so replaying it rebuilds the same state.

Defaults the Software Reference gives are marked; the rest are documented in docs/alliedware.md.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

CONTINUOUS = "CONTINUOUS"


@dataclass
class IsakmpPolicy:
    name: str
    peer: str  # an address or "ANY"
    key: int | None = None  # ENCO key number holding the pre-shared secret
    encalg: str = "DES"
    hashalg: str = "SHA"
    group: int = 1
    mode: str = "MAIN"
    expiry: int = 86400
    localid: str | None = None
    remoteid: str | None = None
    sendnotify: bool = False
    msgbackoff: str = "INCREMENTAL"  # 2.8.1 release note: default incremental
    msgretrylimit: int = 8  # 2.8.1 release note: default 8
    msgtimeout: int = 4  # 2.8.1 release note: default 4 s
    retryike: int | str = 0  # 0..16 or CONTINUOUS; release note: default 0

    @property
    def specific_peer(self) -> bool:
        return self.peer != "ANY"


@dataclass
class SaSpec:
    id: int
    keyman: str  # ISAKMP | MANUAL
    protocol: str  # ESP | AH
    encalg: str = "DES"
    hashalg: str = "SHA"
    mode: str = "TUNNEL"


@dataclass
class Bundle:
    id: int
    keyman: str
    string: str
    expiry: int = 28800
    kbytes: int | None = None

    def alternatives(self) -> list[list[int]]:
        """`"1 and 2 or 3"` -> [[1, 2], [3]] (the bundle's alternatives, in preference order)."""
        out: list[list[int]] = []
        for alt in self.string.lower().replace(",", " or ").split(" or "):
            ids = [int(w) for w in alt.replace("and", " ").split() if w.isdigit()]
            if ids:
                out.append(ids)
        return out


@dataclass
class IpsecPolicy:
    name: str
    interface: str
    action: str  # DENY | IPSEC | PERMIT
    position: int = 0
    bundle: int | None = None
    isakmp: str | None = None
    keymanagement: str = "ISAKMP"
    peeraddress: str | None = None  # address, ANY or DYNAMIC
    laddress: str = "ANY"
    lmask: str | None = None
    raddress: str = "ANY"
    rmask: str | None = None
    group: int = 1
    usepfskey: bool = False
    other: dict[str, str] = field(default_factory=dict)  # parameters kept for the script only

    @property
    def specific_peer(self) -> bool:
        return self.peeraddress not in (None, "ANY", "DYNAMIC")


@dataclass
class EncoKey:
    id: int
    type: str
    value: str
    description: str = ""


@dataclass
class User:
    name: str
    password: str
    privilege: str  # USER | MANAGER | SECURITYOFFICER


@dataclass
class Config:
    system_name: str = ""
    security_mode: bool = False  # ENABLE SYSTEM SECURITY_MODE: security commands need SecOff
    users: dict[str, User] = field(default_factory=lambda: {
        "manager": User("manager", "friend", "MANAGER")})  # the factory default login
    ip_enabled: bool = False
    interfaces: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (addr, mask)
    isakmp_enabled: bool = False
    ipsec_enabled: bool = False
    keys: dict[int, EncoKey] = field(default_factory=dict)
    # policies by lowercase name (names compare case-insensitively), in creation order
    isakmp: dict[str, IsakmpPolicy] = field(default_factory=dict)
    saspecs: dict[int, SaSpec] = field(default_factory=dict)
    bundles: dict[int, Bundle] = field(default_factory=dict)
    ipsec: dict[str, IpsecPolicy] = field(default_factory=dict)

    def copy(self) -> Config:
        """A copy to change: new tables holding the same objects (a command replaces an object
        it changes with `own`), so a command costs O(objects) pointer copies, not a deep copy."""
        new = copy.copy(self)
        for name in ("users", "interfaces", "keys", "isakmp", "saspecs", "bundles", "ipsec"):
            setattr(new, name, dict(getattr(self, name)))
        return new

    def own(self, table: str, key: object) -> Any:
        """The object `table[key]`, replaced by a private copy this configuration may change."""
        t = getattr(self, table)
        obj = copy.deepcopy(t[key])
        t[key] = obj
        return obj

    def ipsec_ordered(self) -> list[IpsecPolicy]:
        return sorted(self.ipsec.values(), key=lambda p: p.position)

    def isakmp_for(self, pol: IpsecPolicy) -> IsakmpPolicy | None:
        """The ISAKMP policy an IPsec policy negotiates with: the one it names, else the first
        whose peer is its peer address, else the first with peer=ANY."""
        if pol.isakmp:
            return self.isakmp.get(pol.isakmp.lower())
        for p in self.isakmp.values():
            if p.peer == pol.peeraddress:
                return p
        return next((p for p in self.isakmp.values() if p.peer == "ANY"), None)


def mask_len(mask: str | None) -> int:
    if not mask:
        return 32
    return sum(bin(int(o)).count("1") for o in mask.split("."))


def _q(text: str) -> str:
    return f'"{text}"' if (" " in text or not text) else text


def _retry(v: int | str) -> str:
    return "continuous" if v == CONTINUOUS else str(v)


def script(cfg: Config) -> list[str]:
    """The running configuration as the command script that recreates it (lowercase, one
    command per line, `#` section headers as the device writes them). ISAKMP policies come
    before the IPsec policies that name them. ENCO keys and user
    accounts are not part of it: the device keeps them in their own protected storage."""
    out: list[str] = []

    def section(title: str, lines: list[str]) -> None:
        if lines:
            out.extend(["#", f"# {title} configuration", "#", *lines])

    sys_lines = [f"set system name={_q(cfg.system_name)}"] if cfg.system_name else []
    if cfg.security_mode:
        sys_lines.append("enable system security_mode")
    section("SYSTEM", sys_lines)
    ip = ["enable ip"] if cfg.ip_enabled else []
    for name, (addr, mask) in cfg.interfaces.items():
        ip.append(f"add ip interface={name} ipaddress={addr} mask={mask}")
    section("IP", ip)
    isakmp: list[str] = []
    for p in cfg.isakmp.values():
        line = f"create isakmp policy={_q(p.name)} peer={p.peer.lower() if p.peer == 'ANY' else p.peer}"
        if p.key is not None:
            line += f" key={p.key}"
        line += (f" encalg={p.encalg.lower()} hashalg={p.hashalg.lower()} group={p.group}"
                 f" mode={p.mode.lower()} expiryseconds={p.expiry}")
        if p.localid:
            line += f" localid={_q(p.localid)}"
        if p.remoteid:
            line += f" remoteid={_q(p.remoteid)}"
        if p.sendnotify:
            line += " sendnotify=true"
        line += (f" msgbackoff={p.msgbackoff.lower()} msgretrylimit={p.msgretrylimit}"
                 f" msgtimeout={p.msgtimeout}")
        if p.retryike != 0:
            line += f" retryikeattempts={_retry(p.retryike)}"
        isakmp.append(line)
    if cfg.isakmp_enabled:
        isakmp.append("enable isakmp")
    section("ISAKMP", isakmp)
    ipsec: list[str] = []
    for s in sorted(cfg.saspecs.values(), key=lambda s: s.id):
        ipsec.append(f"create ipsec saspecification={s.id} keymanagement={s.keyman.lower()} "
                     f"protocol={s.protocol.lower()} encalg={s.encalg.lower()} "
                     f"hashalg={s.hashalg.lower()} mode={s.mode.lower()}")
    for b in sorted(cfg.bundles.values(), key=lambda b: b.id):
        kb = f" expirykbytes={b.kbytes}" if b.kbytes else ""
        ipsec.append(f'create ipsec bundlespecification={b.id} keymanagement={b.keyman.lower()} '
                     f'string="{b.string}" expiryseconds={b.expiry}{kb}')
    for p in cfg.ipsec_ordered():
        line = f"create ipsec policy={_q(p.name)} interface={p.interface} action={p.action.lower()}"
        if p.action == "IPSEC":
            line += f" keymanagement={p.keymanagement.lower()}"
            if p.bundle is not None:
                line += f" bundlespecification={p.bundle}"
            if p.isakmp:
                line += f" isakmppolicy={_q(p.isakmp)}"
        if p.peeraddress:
            line += f" peeraddress={p.peeraddress.lower() if p.peeraddress in ('ANY', 'DYNAMIC') else p.peeraddress}"
        if p.usepfskey:
            line += f" usepfskey=true group={p.group}"
        for k, v in p.other.items():
            line += f" {k}={_q(v)}"
        ipsec.append(line)
        sel = []
        if p.laddress != "ANY":
            sel.append(f"laddress={p.laddress}" + (f" lmask={p.lmask}" if p.lmask else ""))
        if p.raddress != "ANY":
            sel.append(f"raddress={p.raddress}" + (f" rmask={p.rmask}" if p.rmask else ""))
        if sel:
            ipsec.append(f"set ipsec policy={_q(p.name)} " + " ".join(sel))
    if cfg.ipsec_enabled:
        ipsec.append("enable ipsec")
    section("IPSEC", ipsec)
    return out
