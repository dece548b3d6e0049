"""StarOS command handlers: Exec commands here; every configuration command goes through one
wrapper into configure.py (the change applies at once, then `device.changed()`)."""

from __future__ import annotations

import os

from ...cli.grammar_session import HandlerTable
from ...config.files import FileAccessError, resolve_user_path, write_atomic
from ...engine.cryptogroup import Condition
from ...grammar.parser import ParseError, Token, parse_command, tokenize
from . import config_text, shows
from . import configure as cf
from . import messages as msg

HANDLERS = HandlerTable("staros")
handler = HANDLERS.handler


def _state(session) -> shows.State:
    dev = session.device
    return shows.State(dev.now(), dev.clock.epoch, dev.tunnels, session.driver.groups)


def _fail(out, text: str) -> None:
    out.write(text + "\n")


# ---- configuration: one wrapper for every handler of configure.py ------------------------------------


async def config_command(session, match, out, io):
    env = cf.Env(session.device.model, dict(session.context) or {"context": session.exec_context})
    try:
        outcome = cf.run(session.config, env, match)
    except cf.Refused as e:
        if e.col is not None:
            out.write(msg.marked(e.text, len(session.prompt_line()), e.col))
        else:
            _fail(out, e.text)
        return None
    if outcome.changed:
        session.device.changed()
    if outcome.leave == "end":
        session.leave_to(cf.EXEC)
    elif outcome.leave == "exit":
        session.leave()
    elif outcome.enter is not None:
        mode, context = outcome.enter
        session.enter(mode, **context)
    return None


for _name in cf.HANDLERS.names():
    handler(_name)(config_command)


# ---- Exec ------------------------------------------------------------------------------------------------


@handler("exec-configure")
async def configure(session, match, out, io):
    session.enter(cf.CONFIG)


@handler("exec-context")
async def context(session, match, out, io):
    name = str(match.args["context"])
    if name not in session.config.contexts:
        return _fail(out, msg.no_context(name))
    session.exec_context = name
    return None


@handler("exec-end")
async def end(session, match, out, io):
    return None


@handler("exec-exit")
async def exit_(session, match, out, io):
    session.close()


@handler("exec-crypto-group-switchover")
async def switchover(session, match, out, io):
    name = str(match.args["group"])
    ctx = session.config.contexts[session.exec_context]
    if name not in ctx.groups:
        return _fail(out, msg.not_found("crypto group", name))
    groups = session.driver.groups
    grp = groups.group(ctx.name, name) if groups is not None else None
    if grp is None:
        return _fail(out, msg.switchover_failed(name, "the group needs a ready primary and secondary crypto map"))
    sent = groups.switchover(grp, session.device.now())
    failed = [n for n in sent if n.condition is Condition.FAILOVER_UNSUCCESSFUL]
    if failed:
        return _fail(out, msg.switchover_failed(name, f"unsuccessful fail-over: crypto map {failed[0].map} is down"))
    return None


def _clear(session, match) -> None:
    groups = session.driver.groups
    if groups is not None:
        groups.clear(session.exec_context, session.config, session.device.now(),
                     map_name=match.args.get("tag"), peer=match.args.get("peer"))


@handler("exec-clear-crypto-isakmp")
async def clear_isakmp(session, match, out, io):
    _clear(session, match)


@handler("exec-clear-crypto-sa")
async def clear_sa(session, match, out, io):
    _clear(session, match)


@handler("exec-save-configuration")
async def save(session, match, out, io):
    url = str(match.args["url"])  # mandatory: the device has no default destination
    try:
        path = resolve_user_path(session.device.home, url.lstrip("/"))
    except FileAccessError as e:
        return _fail(out, msg.save_failed(str(e)))
    if path.exists() and not match.args.get("-noconfirm"):
        answer = await io.read_line("Warning: About to overwrite the file. Are you sure? [Yes|No]: ")
        if (answer or "").strip().lower() not in ("y", "yes"):
            return _fail(out, "Action aborted by user")
    text = config_text.render(session.config)
    try:
        os.makedirs(path.parent, exist_ok=True)
        write_atomic(path, text)
        if match.args.get("-redundant"):
            pass  # one management card in the lab: nothing else to write
    except OSError as e:
        return _fail(out, msg.save_failed(e.strerror or str(e)))
    return None


# ---- shows --------------------------------------------------------------------------------------------


def _ctx_name(session) -> str:
    return session.exec_context


@handler("cfg-do-show")
async def do_show(session, match, out, io):
    """`do show …` in a configuration mode: the Exec show, in the context being configured."""
    rest = match.rest.get("command", [])
    typed = tokenize(session.current_line or "do show")
    show = typed[1] if len(typed) > 1 else Token("show", 0, 0)
    try:  # the typed words keep their columns, so a caret points into the line as typed
        inner = parse_command(config_text.tree(cf.EXEC), [Token("show", show.start, show.end), *rest])
    except ParseError as e:
        out.write(session.wording.error_text(e, len(session.prompt_line())))
        return
    h = session.handlers.get(inner.handler)
    if h is None:
        return
    saved = session.exec_context
    session.exec_context = session.find_context("context") or saved
    try:
        return await h(session, inner, out, io)
    finally:
        session.exec_context = saved


@handler("exec-show-version")
async def show_version(session, match, out, io):
    dev = session.device
    out.write(shows.version(dev.model, dev.facts.get("version", ""), session.hostname, dev.now() - dev.booted_at))


@handler("exec-show-clock")
async def show_clock(session, match, out, io):
    out.write(session.device.clock.datetime().strftime("%A %B %d %H:%M:%S UTC %Y") + "\n")


@handler("exec-show-configuration")
async def show_configuration(session, match, out, io):
    ctx = match.args.get("context")
    if ctx is not None and ctx not in session.config.contexts:
        return _fail(out, msg.no_context(str(ctx)))
    out.write(config_text.render(session.config, ctx, secrets=bool(match.args.get("showsecrets"))))
    return None


@handler("exec-show-crypto-group")
async def show_crypto_group(session, match, out, io):
    ctx = session.config.contexts[_ctx_name(session)]
    st = _state(session)
    if match.args.get("summary"):
        out.write(shows.crypto_group_summary(session.config, ctx.name, st))
        return None
    name = match.args.get("name")
    if name is not None and name not in ctx.groups:
        return _fail(out, msg.not_found("crypto group", str(name)))
    out.write(shows.crypto_group(session.config, ctx.name, st, name))
    return None


@handler("exec-show-isakmp-sa")
async def show_isakmp(session, match, out, io):
    st = _state(session)
    if match.args.get("summary"):
        out.write(shows.isakmp_sa_summary(session.config, _ctx_name(session), st))
    else:
        out.write(shows.isakmp_sas(session.config, _ctx_name(session), st, match.args.get("cookie")))


@handler("exec-show-ipsec-sa")
async def show_ipsec(session, match, out, io):
    ctx = session.config.contexts[_ctx_name(session)]
    st = _state(session)
    name = match.args.get("map-name")
    if name is not None and name not in ctx.maps:
        return _fail(out, msg.not_found("crypto map", str(name)))
    if match.args.get("summary"):
        out.write(shows.ipsec_sa_summary(session.config, ctx.name, st))
    else:
        out.write(shows.ipsec_sas(session.config, ctx.name, st, name))
    return None


@handler("exec-show-crypto-map")
async def show_crypto_map(session, match, out, io):
    ctx = session.config.contexts[_ctx_name(session)]
    tag = match.args.get("tag")
    if tag is not None and tag not in ctx.maps:
        return _fail(out, msg.not_found("crypto map", str(tag)))
    out.write(shows.crypto_map(session.config, ctx.name, _state(session), tag))
    return None


@handler("exec-show-logs")
async def show_logs(session, match, out, io):
    dev = session.device
    out.write(shows.event_log([(ln.when, ln.text) for ln in dev.log], _state(session)))


@handler("exec-show-snmp-trap-history")
async def show_trap_history(session, match, out, io):
    from .device import TRAP_HISTORY

    out.write(shows.trap_history(list(session.driver.trap_history), _state(session), TRAP_HISTORY))


__all__ = ["HANDLERS"]
