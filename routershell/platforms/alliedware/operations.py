"""AlliedWare show and file commands, and the executor that runs one command line.

`Executor(router).run(line, ctx)` parses the line with the AlliedWare tree (grammar/keyvalue.py),
checks the login's privilege (`@user` commands are open to User level), runs the handler and
returns its text. The session (session.py) and the boot script both go through it, so a
startup configuration runs exactly as typed commands do.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ...config.files import FileAccessError, resolve_user_path, write_atomic
from ...grammar.keyvalue import parse_kv_command
from ...grammar.loader import load_tree
from ...grammar.parser import ParseError
from ...grammar.schema import Node
from . import messages as m
from . import shows
from .commands import Ctx, Handler, handlers
from .model import script
from .router import Router

_TREE: list[Node] = []


def tree() -> Node:
    """The AlliedWare command tree (loaded once; compiled form cached by the loader)."""
    if not _TREE:
        _TREE.append(load_tree("alliedware", "*.grammar"))
    return _TREE[0]


def view(r: Router) -> shows.View:
    mgr = r.device.tunnels
    return shows.View(r.config, mgr.tunnels() if mgr is not None else [],
                      mgr.endpoints() if mgr is not None else {}, r.counters, r.policy_counters,
                      r.ids, r.now())


def _opt_int(a: dict[str, Any], key: str) -> int | None:
    return int(a[key]) if key in a else None


def _not_found(module: int, what: str) -> str:
    return m.error(module, 200, f"{what} does not exist.")


def show_isakmp(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    return shows.isakmp_module(view(r))


def show_isakmp_policy(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    name = str(a["POLicy"]) if "POLicy" in a else None
    text = shows.isakmp_policy(view(r), name)
    if text is None:
        r.counters.bump("getPolicyFailed")
        return _not_found(m.ISAKMP, f"ISAKMP policy {name}")
    return text


def show_isakmp_sa(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    n = _opt_int(a, "SA")
    text = shows.isakmp_sa(view(r), n)
    return text if text is not None else _not_found(m.ISAKMP, f"ISAKMP SA {n}")


def show_isakmp_exchange(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    n = _opt_int(a, "EXchange")
    text = shows.isakmp_exchange(view(r), n)
    return text if text is not None else _not_found(m.ISAKMP, f"ISAKMP exchange {n}")


def show_isakmp_counters(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    which = str(a["COUnters"]).upper() if "COUnters" in a else None
    return shows.isakmp_counters(view(r), which)


def show_ipsec(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    return shows.ipsec_module(view(r))


def show_ipsec_sa(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    n = _opt_int(a, "SA")
    text = shows.ipsec_sa(view(r), n)
    return text if text is not None else _not_found(m.IPSEC, f"IPsec SA {n}")


def show_ipsec_policy(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    name = str(a["POLicy"]) if "POLicy" in a else None
    if a.get("COUnter") and name is None:
        return m.error(m.IPSEC, 201, "COUNTER needs a specific POLICY.")
    text = shows.ipsec_policy(view(r), name, bool(a.get("COUnter")))
    return text if text is not None else _not_found(m.IPSEC, f"IPsec policy {name}")


def show_ipsec_saspec(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    n = _opt_int(a, "SASpecification")
    text = shows.ipsec_saspec(view(r), n)
    return text if text is not None else _not_found(m.IPSEC, f"SA specification {n}")


def show_ipsec_bundle(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    n = _opt_int(a, "BUNDlespecification")
    text = shows.ipsec_bundle(view(r), n)
    return text if text is not None else _not_found(m.IPSEC, f"Bundle specification {n}")


def show_enco_key(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    n = _opt_int(a, "KEY")
    text = shows.enco_keys(view(r), n)
    return text if text is not None else _not_found(m.ENCO, f"Key {n}")


def show_system(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    d = r.device
    up = int(r.now())
    return "".join([
        "\nRouter System Status\n\n", shows.line("Model", d.model),
        shows.line("Software Version", "2.8.1"), shows.line("System Name", r.config.system_name or "-"),
        shows.line("Uptime", f"{up // 86400}d {up % 86400 // 3600:02}:{up % 3600 // 60:02}:{up % 60:02}"),
    ])


def show_log(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    """The device log, oldest first (lines the Router wrote: `sev|mod|type|stype|text`)."""
    from datetime import timedelta

    rows = ["", "Date/Time   S Mod  Type SType Message", shows.RULE]
    epoch = getattr(r.device.clock, "epoch", None)
    for entry in r.device.log:
        parts = entry.text.split("|", 4)
        if len(parts) != 5:
            parts = ["6", "SYS", "", "", entry.text]
        sev, mod, typ, stype, text = parts
        when = epoch + timedelta(seconds=entry.when) if epoch is not None else None
        stamp = when.strftime("%d %H:%M:%S") if when is not None else f"{int(entry.when):>11}"
        rows.append(f"{stamp} {sev} {mod:<4} {typ:<4} {stype:<5} {text}")
    return "\n".join(rows) + "\n"


def show_user(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    rows = ["", f"{'User':<20}Privilege", shows.RULE]
    rows += [f"{u.name:<20}{u.privilege}" for u in r.config.users.values()]
    return "\n".join(rows) + "\n"


def show_ip_interface(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    want = str(a["INTerface"]).lower() if "INTerface" in a else None
    items = [(n, v) for n, v in r.config.interfaces.items() if want is None or n == want]
    if want is not None and not items:
        return m.error(m.IP, 112, f"Interface {want} has no IP address.")
    rows = ["", f"{'Interface':<12}{'IP Address':<17}Mask", shows.RULE]
    rows += [f"{n:<12}{addr:<17}{mask}" for n, (addr, mask) in items]
    return "\n".join(rows) + "\n"


# ---- configuration files ----------------------------------------------------------------------


def _path(r: Router, name: str) -> Path | None:
    if r.home is None or not name.lower().endswith(".cfg"):
        return None
    try:
        return resolve_user_path(r.home, name)
    except FileAccessError:
        return None


def create_config(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    name = str(a["CONFIG"])
    path = _path(r, name)
    if path is None:
        return m.error(m.FILE, 101, f'File name "{name}" is not valid (name.cfg).')
    try:
        write_atomic(path, "\n".join(script(r.config)) + "\n")
    except OSError:
        return m.error(m.FILE, 102, f"File {name} could not be written.")
    return m.ok(m.FILE)


def set_config(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    name = str(a["CONFIG"])
    if name.upper() == "NONE":
        r.boot_config = None
        r.persist_boot()
        return m.ok(m.FILE)
    path = _path(r, name)
    if path is None or not path.is_file():
        return m.error(m.FILE, 103, f"File {name} does not exist.")
    r.boot_config = name
    r.persist_boot()
    return m.ok(m.FILE)


def show_config(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    if a.get("DYNamic"):
        return "\n".join(script(r.config)) + "\n"
    boot = r.boot_config
    exists = boot is not None and (p := _path(r, boot)) is not None and p.is_file()
    return "".join([
        "\n", shows.line("Boot configuration file", f"{boot} ({'exists' if exists else 'does not exist'})"
                         if boot else "None"),
        shows.line("Current configuration", boot or "None"), "\n",
    ])


def show_file(r: Router, a: dict[str, Any], ctx: Ctx) -> str:
    rows = ["", f"{'Filename':<32}{'Size':>8}", shows.RULE]
    if r.home is not None and Path(r.home).is_dir():
        for f in sorted(os.listdir(r.home)):
            p = Path(r.home) / f
            if p.is_file() and not f.startswith("."):
                if "FIle" in a and f.lower() != str(a["FIle"]).lower():
                    continue
                rows.append(f"{f:<32}{p.stat().st_size:>8}")
    return "\n".join(rows) + "\n"


def all_handlers() -> dict[str, Handler]:
    h = handlers()
    h.update({
        "show-isakmp": show_isakmp, "show-isakmp-policy": show_isakmp_policy,
        "show-isakmp-sa": show_isakmp_sa, "show-isakmp-exchange": show_isakmp_exchange,
        "show-isakmp-counters": show_isakmp_counters, "show-ipsec": show_ipsec,
        "show-ipsec-sa": show_ipsec_sa, "show-ipsec-policy": show_ipsec_policy,
        "show-ipsec-saspec": show_ipsec_saspec, "show-ipsec-bundle": show_ipsec_bundle,
        "show-enco-key": show_enco_key, "show-system": show_system, "show-log": show_log, "show-user": show_user,
        "show-ip-interface": show_ip_interface, "create-config": create_config,
        "set-config": set_config, "show-config": show_config, "show-file": show_file,
    })
    return h


def refused(router: Router, match: Any, level: str) -> str | None:
    """Why a login of `level` may not run this command: "privilege" (a User-level login and a
    command not marked `@user`), "security-officer" (security mode and a command marked
    `@secoff`), or None."""
    attrs = match.node.attrs
    if level == "USER" and "user" not in attrs:
        return "privilege"
    if router.config.security_mode and "secoff" in attrs and level != "SECURITYOFFICER":
        return "security-officer"
    return None


class Executor:
    """Runs AlliedWare command lines against one Router."""

    @staticmethod
    def handler_names() -> list[str]:
        return sorted(all_handlers())

    def __init__(self, router: Router) -> None:
        self.router = router
        self.handlers = all_handlers()

    def run(self, line: str, ctx: Ctx | None = None) -> str:
        ctx = ctx or Ctx()
        if not line.strip():
            return ""
        try:
            match = parse_kv_command(tree(), line)
        except ParseError as e:
            return m.parse_error(e)
        refusal = refused(self.router, match, ctx.level)
        if refusal is not None:
            return m.PRIVILEGE if refusal == "privilege" else m.SECURITY_OFFICER
        h = self.handlers.get(match.handler)
        if h is None:
            return m.INTERNAL
        return h(self.router, match.args, ctx)

    def run_script(self, text: str) -> list[tuple[int, str, str]]:
        """Run a configuration script as the device does at boot: every line, `#` comments
        skipped; returns (line number, line, error text) for the lines that failed."""
        failed = []
        ctx = Ctx(level="SECURITYOFFICER", script=True)
        for n, raw in enumerate(text.splitlines(), 1):
            s = raw.strip()
            if not s or s.startswith("#"):
                continue
            out = self.run(s, ctx)
            if out.startswith("Error"):
                failed.append((n, s, out))
        return failed
