"""JunosE command handlers (names from commands/junose/*.grammar). Configuration commands run
their action (actions.py) on the running configuration and call `device.changed()`; show
commands render from runtime state through shows.py."""

from __future__ import annotations

from ...cli.grammar_session import HandlerTable
from ...grammar.parser import ParseError, parse_command
from . import messages as msg
from . import shows
from .actions import ACTIONS
from .config import render

HANDLERS = HandlerTable("junose")
handler = HANDLERS.handler


# ---- modes -----------------------------------------------------------------------------------

@handler("enable")
async def enable(session, match, out, io):
    if session.mode == "exec":
        session.enter("privileged")


@handler("disable")
async def disable(session, match, out, io):
    session.leave_to("exec")


@handler("exit")
async def exit_(session, match, out, io):
    if session.mode in ("exec", "privileged"):
        session.close()
    elif session.mode == "config":
        session.leave_to("privileged")
    else:
        session.leave()


@handler("end")
async def end(session, match, out, io):
    session.leave_to("privileged")


@handler("run")
async def run(session, match, out, io):
    """`run COMMAND` in a configuration mode: a privileged exec command (show, write, clear)."""
    from .grammar import tree

    toks = match.rest.get("command", [])
    try:
        inner = parse_command(tree("privileged"), toks)
    except ParseError as e:
        if not toks:
            e.col = 0
        out.write(session.wording.error_text(e, len(session.prompt_line())))
        return
    if inner.handler in ("configure-terminal", "enable", "disable", "exit"):
        return  # mode changes make no sense from here; the router ignores them too
    h = session.handlers.get(inner.handler)
    if h is not None:
        return await h(session, inner, out, io)


@handler("configure-terminal")
async def configure_terminal(session, match, out, io):
    session.enter("config")


# ---- configuration ---------------------------------------------------------------------------

def _config_handler(name: str):
    async def run(session, match, out, io):
        ctx = {}
        for key in ("interface", "rule", "peer", "vr"):
            value = session.find_context(key)
            if value is not None:
                ctx[key] = value
        outcome = ACTIONS.get(name)(session.driver.cfg, match.args, ctx)
        if outcome.error:
            out.write(outcome.error)
            return
        if outcome.enter:
            session.enter(outcome.enter, **outcome.context)
        if outcome.changed:
            session.device.changed()

    return run


for _name in ACTIONS.names():
    handler(_name)(_config_handler(_name))


@handler("write-memory")
async def write_memory(session, match, out, io):
    try:
        session.driver.save()
    except OSError as e:
        out.write(msg.SAVE_FAILED.format(err=e.strerror or e))
        return
    out.write(msg.SAVED)


@handler("clear-ipsec-tunnel")
async def clear_ipsec_tunnel(session, match, out, io):
    name = match.args.get("name")
    cfg = session.driver.cfg
    if name is not None and name not in cfg.interfaces:
        out.write(msg.NO_SUCH_TUNNEL.format(name=name))
        return
    ifname = f"ipsec:{name}" if name is not None else None
    session.device.tunnels.clear_ipsec(ifname, session.device.now())


# ---- show ------------------------------------------------------------------------------------

@handler("show-running-config")
async def show_running_config(session, match, out, io):
    out.write(render(session.driver.cfg, match.args.get("interface")))


@handler("show-startup-config")
async def show_startup_config(session, match, out, io):
    text = session.driver.startup_text()
    out.write(text if text is not None else "% No startup configuration saved\n")


@handler("show-ipsec-tunnel")
async def show_ipsec_tunnel(session, match, out, io):
    drv = session.driver
    cfg = drv.cfg
    name = match.args.get("name")
    if name is not None and name not in cfg.interfaces:
        out.write(msg.NO_SUCH_TUNNEL.format(name=name))
        return
    views = drv.views()
    if name is not None or match.args.get("value") == "detail":
        out.write(shows.tunnel_details(cfg, views, session.device.now(), drv.at, name))
    else:
        out.write(shows.tunnel_table(cfg, views))


@handler("show-ipsec-ike-sa")
async def show_ipsec_ike_sa(session, match, out, io):
    tunnels = session.device.tunnels
    sas = []
    for local, ep in sorted(tunnels.endpoints().items()):
        for sa in ep.sadb.ike.values():
            if not sa.superseded:
                sas.append((local, sa))
    sas.sort(key=lambda x: (x[0], tuple(int(p) for p in x[1].peer[0].split(".")) if "." in x[1].peer[0] else ()))
    out.write(shows.ike_sas(sas, session.device.now()))


@handler("show-ipsec-ike-policy-rule")
async def show_ipsec_ike_policy_rule(session, match, out, io):
    cfg = session.driver.cfg
    p = match.args.get("priority")
    if p is not None and int(p) not in cfg.rules:
        out.write(msg.NO_SUCH_RULE.format(n=p))
        return
    out.write(shows.policy_rules(cfg, int(p) if p is not None else None))


@handler("show-ipsec-transform-set")
async def show_ipsec_transform_set(session, match, out, io):
    cfg = session.driver.cfg
    name = match.args.get("name")
    if name is not None and name not in cfg.transform_sets:
        out.write(msg.NO_SUCH_TRANSFORM_SET.format(name=name))
        return
    out.write(shows.transform_sets(cfg, name))


@handler("show-ipsec-local-endpoint")
async def show_ipsec_local_endpoint(session, match, out, io):
    out.write(shows.local_endpoint(session.driver.cfg))


@handler("show-interfaces-tunnel")
async def show_interfaces_tunnel(session, match, out, io):
    drv = session.driver
    ifname = match.args["interface"]
    t = drv.cfg.interfaces.get(ifname.split(":", 1)[1])
    if t is None:
        out.write(msg.NO_SUCH_INTERFACE.format(name=ifname))
        return
    out.write(shows.interface_tunnel(drv.cfg, t, drv.views().get(ifname)))


@handler("show-hardware")
async def show_hardware(session, match, out, io):
    drv = session.driver
    ism = drv.ism
    out.write(shows.hardware(session.device.modules, ism.load() if ism else {},
                             drv.cfg.disabled_slots, ism.capacity_short() if ism else False))


@handler("show-version")
async def show_version(session, match, out, io):
    dev = session.device
    out.write(shows.version(dev.model, session.hostname, dev.now() - dev.booted_at, dev.modules))


@handler("show-clock")
async def show_clock(session, match, out, io):
    out.write(session.driver.at(session.device.now()) + " UTC\n")


@handler("show-log-data")
async def show_log_data(session, match, out, io):
    out.write(shows.log_data([(ln.when, ln.text) for ln in session.device.log], session.driver.at))
