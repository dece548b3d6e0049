"""Junos configuration-mode handlers: edit the candidate, move around, commit, roll back."""

from __future__ import annotations

from ...config import files
from ...config.store import StoreError
from ...config.tree import ConfigNode, Path
from ...grammar.parser import (
    ParseError,
    Token,
    check_value,
    parse_command,
    parse_statement,
    parse_statements,
    schema_node_for,
)
from ...grammar.schema import Kind
from . import config_text
from . import messages as msg
from .check import check_config
from .grammar import edit_banner, is_editable, path_words
from .registry import HANDLERS, handler
from .save import save_text
from .secrets import SecretError, encrypt9, is_encrypted9


def _statement(session, match, io, *, need_value: bool, tokens: list[Token] | None = None):
    toks = match.rest.get("statement", []) if tokens is None else tokens
    start, base = session.edit_start()
    try:
        return parse_statement(start, base, toks, need_value=need_value)
    except ParseError as e:
        io.write(msg.error_text(e, len(session.prompt_line())))
        return None


def _split_at(toks: list[Token], words: tuple[str, ...]) -> tuple[list[Token], str | None, list[Token]]:
    """Split `a b to c` style arguments at the last keyword of `words`."""
    for i in range(len(toks) - 1, -1, -1):
        if toks[i].text in words and not toks[i].quoted:
            return toks[:i], toks[i].text, toks[i + 1 :]
    return toks, None, []


# ---- editing -----------------------------------------------------------------------------


def apply_set(session, tree: ConfigNode, m) -> None:
    node = m.node
    kind = node.kind
    if kind in (Kind.LEAF, Kind.ENUM):
        value = m.value
        if node.secret and node.attrs.get("secret") == "9" and value is not None and not is_encrypted9(value):
            value = encrypt9(value, session.device.rng("secret"))
        target = tree.ensure(m.path)
        target.value = value
    elif kind == Kind.LEAF_LIST:
        target = tree.ensure(m.path)
        for v in m.values:
            if v not in target.values:
                target.values.append(v)
    else:
        target = tree.ensure(m.path)
    group = node.choice_group
    if group and node.parent is not None:
        parent = tree.get(m.path[:-1])
        for sib in node.parent.all_children():
            if sib is not node and sib.choice_group == group and parent is not None:
                for step in [s for s in parent.children if s[0] == sib.name]:
                    del parent.children[step]


@handler("cfg-set")
async def cfg_set(session, match, out, io):
    toks = match.rest.get("statement", [])
    start, base = session.edit_start()
    try:
        matches = parse_statements(start, base, toks)
    except ParseError as e:
        io.write(msg.error_text(e, len(session.prompt_line())))
        return None
    if not matches[0].path:
        io.write(msg.error_text(ParseError("missing-argument", len(session.current_line) + 1), len(session.prompt_line())))
        return None
    tree = session.writable(io)
    if tree is None:
        return None
    try:
        for m in matches:
            apply_set(session, tree, m)
    except SecretError:
        io.write("error: invalid secret\n")
        return None
    return None


def _targets(tree: ConfigNode, m) -> list[Path]:
    if m.list_all:
        parent = tree.get(m.path)
        if parent is None:
            return []
        return [m.path + (s,) for s in parent.children if s[0] == m.node.name]
    return [m.path] if tree.get(m.path) is not None else []


def apply_delete(tree: ConfigNode, m) -> bool:
    """`delete STATEMENT` (also a `delete` line of `load set`): a leaf-list entry named with its
    value goes alone, the leaf-list with its last entry; False when nothing matched."""
    if m.node.kind == Kind.LEAF_LIST and m.values:
        node = tree.get(m.path)
        if node is None or not any(v in node.values for v in m.values):
            return False
        node.values = [v for v in node.values if v not in m.values]
        if not node.values:
            tree.remove(m.path)
        return True
    targets = _targets(tree, m)
    for p in targets:
        tree.remove(p)
    return bool(targets)


def apply_active(tree: ConfigNode, m, inactive: bool) -> bool:
    """`deactivate` / `activate` (also in `load set`); False when nothing matched."""
    targets = _targets(tree, m)
    for p in targets:
        tree.get(p).inactive = inactive
    return bool(targets)


@handler("cfg-delete")
async def cfg_delete(session, match, out, io):
    tree = session.writable(io)
    if tree is None:
        return None
    if not match.rest.get("statement"):
        io.write(out.take())
        answer = await io.read_line("Delete everything under this level? [yes,no] (no) ")
        if answer is None or answer.strip().lower() not in ("y", "ye", "yes"):
            return None
        target = tree.get(session.edit)
        if target is not None:
            target.children.clear()
        return None
    m = _statement(session, match, io, need_value=False)
    if m is None:
        return None
    if not apply_delete(tree, m):
        out.write(msg.NOT_FOUND)
    return None


async def _set_inactive(session, match, out, io, inactive: bool):
    m = _statement(session, match, io, need_value=False)
    if m is None:
        return None
    tree = session.writable(io)
    if tree is None:
        return None
    if not apply_active(tree, m, inactive):
        out.write(msg.NOT_FOUND)
    return None


@handler("cfg-deactivate")
async def cfg_deactivate(session, match, out, io):
    return await _set_inactive(session, match, out, io, True)


@handler("cfg-activate")
async def cfg_activate(session, match, out, io):
    return await _set_inactive(session, match, out, io, False)


@handler("cfg-annotate")
async def cfg_annotate(session, match, out, io):
    toks = match.rest.get("statement", [])
    if len(toks) < 2:
        io.write(msg.error_text(ParseError("missing-argument", len(session.current_line) + 1), len(session.prompt_line())))
        return None
    m = _statement(session, match, io, need_value=False, tokens=toks[:-1])
    if m is None:
        return None
    tree = session.writable(io)
    if tree is None:
        return None
    node = tree.get(m.path)
    if node is None:
        out.write(msg.NOT_FOUND)
        return None
    node.annotation = toks[-1].text or None
    return None


def _key_step(session, m, new_toks: list[Token], io) -> tuple | None:
    """The (name, key) a `rename ... to NEW` or `copy ... to NEW` names, checked against the type."""
    if not new_toks:
        io.write(msg.error_text(ParseError("missing-argument", len(session.current_line) + 1), len(session.prompt_line())))
        return None
    node = m.node
    key_tok = new_toks[-1]
    with_keyword = node.word is not None and len(new_toks) == 2 and new_toks[0].text == node.word
    if not with_keyword and len(new_toks) != 1:
        io.write(msg.error_text(ParseError("syntax", new_toks[0].start, new_toks[0].text), len(session.prompt_line())))
        return None
    if node.kind != Kind.LIST:
        io.write(msg.error_text(ParseError("syntax", key_tok.start, key_tok.text), len(session.prompt_line())))
        return None
    try:
        key = check_value(node, key_tok)
    except ParseError as e:
        io.write(msg.error_text(e, len(session.prompt_line())))
        return None
    return (node.name, key)


async def _rename_or_copy(session, match, out, io, copy: bool):
    old, sep, new = _split_at(match.rest.get("statement", []), ("to",))
    if sep is None:
        io.write(msg.error_text(ParseError("missing-argument", len(session.current_line) + 1), len(session.prompt_line())))
        return None
    m = _statement(session, match, io, need_value=False, tokens=old)
    if m is None:
        return None
    tree = session.writable(io)
    if tree is None:
        return None
    src = tree.get(m.path)
    if src is None or not m.path:
        out.write(msg.NOT_FOUND)
        return None
    step = _key_step(session, m, new, io)
    if step is None:
        return None
    parent = tree.get(m.path[:-1])
    if step in parent.children:
        out.write("error: statement already exists\n")
        return None
    if copy:
        dup = src.copy()
        dup.name, dup.key = step
        parent.children[step] = dup
    else:
        parent.rename_child(m.path[-1], step)
    return None


@handler("cfg-rename")
async def cfg_rename(session, match, out, io):
    return await _rename_or_copy(session, match, out, io, copy=False)


@handler("cfg-copy")
async def cfg_copy(session, match, out, io):
    return await _rename_or_copy(session, match, out, io, copy=True)


@handler("cfg-insert")
async def cfg_insert(session, match, out, io):
    toks = match.rest.get("statement", [])
    what, where, ref = _split_at(toks, ("before", "after"))
    if where is None or not ref:
        io.write(msg.error_text(ParseError("missing-argument", len(session.current_line) + 1), len(session.prompt_line())))
        return None
    m = _statement(session, match, io, need_value=True, tokens=what)
    if m is None:
        return None
    if not m.node.ordered:
        io.write(msg.error_text(ParseError("syntax", ref[0].start, ref[0].text), len(session.prompt_line())))
        return None
    step = _key_step(session, m, ref, io)
    if step is None:
        return None
    tree = session.writable(io)
    if tree is None:
        return None
    parent = tree.ensure(m.path[:-1])
    if step == m.path[-1]:  # before/after itself: nothing to move
        return None
    if step not in parent.children:
        out.write("error: referenced statement does not exist\n")
        return None
    tree.ensure(m.path)
    parent.move_child(m.path[-1], **({"before": step} if where == "before" else {"after": step}))
    return None


# ---- navigation ----------------------------------------------------------------------------


@handler("cfg-edit")
async def cfg_edit(session, match, out, io):
    if not match.rest.get("statement"):
        return None
    m = _statement(session, match, io, need_value=True)
    if m is None:
        return None
    if not is_editable(m.node):
        tok = match.rest["statement"][-1]
        io.write(msg.error_text(ParseError("syntax", tok.start, tok.text), len(session.prompt_line())))
        return None
    if m.path != session.edit:
        session.edit_history.append(session.edit)
    session.edit = m.path
    return None


@handler("cfg-up")
async def cfg_up(session, match, out, io):
    n = int(match.args.get("count", 1))
    if not session.edit:
        return None
    session.edit = _up(session, session.edit, n)
    return None


def _up(session, path: Path, levels: int) -> Path:
    """Each level is one editable statement (a list entry counts once, with its key)."""
    p = list(path)
    for _ in range(levels):
        if not p:
            break
        p.pop()
    return tuple(p)


@handler("cfg-top")
async def cfg_top(session, match, out, io):
    session.edit = ()


@handler("cfg-exit")
async def cfg_exit(session, match, out, io):
    """`exit`: back to the level the last `edit` started from (Junos: "returning to the level
    prior to the last edit command"); at the top level, out of configuration mode."""
    if session.edit and "configuration-mode" not in match.args:
        session.edit = session.edit_history.pop() if session.edit_history else ()
        return None
    return await leave_configuration(session, out, io)


async def leave_configuration(session, out, io):
    store = session.device.store
    if store.is_modified(session.key):
        io.write(out.take())
        io.write(msg.UNCOMMITTED)
        answer = await io.read_line(msg.EXIT_QUESTION)
        if answer is not None and answer.strip().lower() not in ("", "y", "ye", "yes"):
            return None
        io.write("\n")
    _close_database(session)
    out.write(msg.EXITING + "\n")
    return None


def _close_database(session) -> None:
    session.device.store.close(session.key)
    session.database = None
    session.mode = "operational"
    session.edit = ()
    session.edit_history.clear()


# ---- show ------------------------------------------------------------------------------------


def show_tree(session, tree: ConfigNode, toks: list[Token], base: Path, out, io, operational: bool = False):
    schema = session.g.schema
    if operational:
        start, path = schema, ()
    else:
        start, path = session.edit_start()
    if toks:
        try:
            m = parse_statement(start, path, toks, need_value=False)
        except ParseError as e:
            io.write(msg.error_text(e, len(session.prompt_line())))
            return ""
        path = m.path
    if any(p.kind == "display" and p.args[:1] == ("inheritance",) and p.args[1:2] in (("default",), ("defaults",)) for p in session.current_pipes):
        from .ipsec.inherit import with_defaults

        tree = with_defaults(tree)
    node = tree.get(path)
    sc = schema_node_for(schema, path) or schema
    for p in session.current_pipes:
        if p.kind == "compare":
            hist = session.device.store.history
            n = p.number or 0
            old = hist[n].tree if p.args == ("rollback",) and n < len(hist) else None
            if old is None:
                return "error: rollback is not possible\n" if p.args == ("rollback",) else f"error: could not open {p.args[0]}\n"
            return config_text.compare(old, tree, schema, tuple(path_words(path, schema))) if not path else _compare_sub(old, tree, path, schema)
    if node is None:
        return ""
    wrap = _wrap_to(path, node)
    for p in session.current_pipes:
        if p.kind == "display" and p.args[:1] == ("set",):
            return config_text.render_set(wrap, schema)
        if p.kind == "display" and p.args[:1] == ("json",):
            return config_text.render_json(wrap, schema)
    if path and sc.kind in (Kind.LEAF, Kind.LEAF_LIST, Kind.ENUM, Kind.FLAG):  # one statement
        only = ConfigNode()
        only.children[path[-1]] = node
        text = config_text.render(only, schema_node_for(schema, path[:-1]) or schema)
    else:
        text = config_text.render(_as_root(node), sc)
    if operational and not path:
        last = session.device.store.history[0] if session.device.store.history else None
        if last is not None and last.when is not None:
            from .op_commands import fmt_time

            text = f"## Last commit: {fmt_time(session, last.when)} by {last.user}\n" + text
    return text


def _as_root(node: ConfigNode) -> ConfigNode:
    """The statements under `node`, as a tree of their own (what `show <path>` prints)."""
    root = ConfigNode()
    root.children = node.children
    return root


def _wrap_to(path: Path, node: ConfigNode) -> ConfigNode:
    """A root holding only `node` at `path` (for `| display set` of a sub-statement)."""
    root = ConfigNode()
    if not path:
        return node
    cur = root
    for step in path[:-1]:
        nxt = ConfigNode(*step)
        cur.children[step] = nxt
        cur = nxt
    cur.children[path[-1]] = node
    return root


def _compare_sub(old: ConfigNode, new: ConfigNode, path: Path, schema) -> str:
    o, n = old.get(path), new.get(path)
    return config_text.compare(_wrap_to(path, o) if o else ConfigNode(), _wrap_to(path, n) if n else ConfigNode(), schema)


@handler("cfg-show")
async def cfg_show(session, match, out, io):
    toks = match.rest.get("statement", [])
    return show_tree(session, session.candidate, toks, session.edit, out, io)


@handler("cfg-status")
async def cfg_status(session, match, out, io):
    from .op_commands import _editing_users

    out.write(_editing_users(session))


@handler("cfg-run")
async def cfg_run(session, match, out, io):
    toks = match.rest.get("command", [])
    mode = session.mode
    try:
        m = parse_command(session.g.operational, toks)
    except ParseError as e:
        io.write(msg.error_text(e, len(session.prompt_line())))
        return None
    if m.handler in ("op-configure", "op-quit"):
        io.write(msg.error_text(ParseError("unknown-command", toks[0].start, toks[0].text), len(session.prompt_line())))
        return None
    session.mode = "operational"
    try:
        return await HANDLERS.get(m.handler)(session, m, out, io)
    finally:
        session.mode = mode


# ---- commit, rollback, load, save ---------------------------------------------------------------


@handler("cfg-commit")
async def cfg_commit(session, match, out, io):
    store = session.device.store
    check = lambda tree: check_config(tree, session.g.schema, session.device.model)  # noqa: E731
    try:
        if "check" in match.args:
            errors = store.check(check, session.key)
            if errors:
                raise StoreError("check-failed", errors=tuple(errors))
            out.write(msg.CHECK_SUCCEEDS)
            return None
        confirmed = "confirmed" in match.args
        minutes = int(match.args.get("minutes", 10)) if confirmed else None
        store.commit(
            session.user,
            "cli",
            session.device.clock.datetime(),
            str(match.args.get("comment") or ""),
            check,
            session=session.key,
            confirm_minutes=minutes,
            now=session.device.now(),
        )
    except StoreError as e:
        out.write(_store_error(session, e))
        return None
    if minutes is not None:
        out.write(msg.CHECK_SUCCEEDS)
        out.write(msg.confirmed_note(minutes))
    session.device.changed()
    out.write(msg.COMMIT_COMPLETE)
    if "and-quit" in match.args:
        _close_database(session)
        out.write(msg.EXITING + "\n")
    return None


def _store_error(session, e: StoreError) -> str:
    from .op_commands import lock_message

    if e.code == "check-failed":
        text = ""
        for err in e.errors:
            text += f"{edit_banner(err.path, session.g.schema)}\n  '{err.statement}'\n    {err.message}\n"
        return text + msg.CHECK_FAILED
    if e.code == "locked":
        return lock_message(session, e.holder)
    if e.code == "shared-modified":
        return "error: shared configuration database modified\nPlease use 'rollback' to discard the changes and try again\n"
    if e.code == "write-failed":
        return f"error: could not write configuration: {e.detail}\n"
    return f"error: {e.code}\n"


@handler("cfg-rollback")
async def cfg_rollback(session, match, out, io):
    n = int(match.args.get("number", 0))
    try:
        session.device.store.rollback(n, session.key)
    except StoreError as e:
        out.write("error: Cannot rollback, file not found\n" if e.code == "no-rollback" else _store_error(session, e))
        return None
    out.write(msg.LOAD_COMPLETE)
    return None


def _replace_candidate(session, tree: ConfigNode) -> None:
    session.device.store.set_candidate(tree.copy(), session.key)


@handler("cfg-load")
async def cfg_load(session, match, out, io):
    action = match.words[-1]
    toks = match.rest.get("filename", [])
    if len(toks) != 1:
        bad = toks[1] if len(toks) > 1 else None
        io.write(msg.error_text(ParseError("syntax" if bad else "missing-argument", bad.start if bad else len(session.current_line) + 1, bad.text if bad else ""), len(session.prompt_line())))
        return None
    source = toks[0].text
    if source == "terminal":
        io.write(out.take())
        io.write("[Type ^D at a new line to end input]\n")
        lines = []
        while True:
            line = await io.read_line("")
            if line is None or line == "\x04":
                break
            lines.append(line)
        text = "\n".join(lines) + "\n"
        origin = "terminal"
    else:
        try:
            path = session.user_path(source)
            text = files.read_user_text(path)
        except (files.FileAccessError, OSError):
            out.write(f"error: could not open configuration file: {source}\n")
            return None
        origin = source
    schema = session.g.schema
    base = session.writable(io)
    if base is None:
        return None
    try:
        if action == "set":
            tree = base.copy()
            for lineno, line in enumerate(text.splitlines(), 1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                err = _apply_set_line(session, tree, line)
                if err:
                    out.write(f"{origin}:{lineno}:({err.col + 1}) {err_word(err)}: {err.token}\n")
                    return None
        else:
            result = config_text.parse_load(text, schema)
            _encode_secrets(session, result.tree, schema)
            from ...config import merge

            if action == "override":
                tree = result.tree
            elif action == "replace":
                tree = merge.replace(base, result.tree, result.replace_paths, schema)
            else:
                tree = merge.merge(base, result.tree, schema)
            if result.errors:
                for err in result.errors:
                    out.write(err.format(origin) + "\n")
                _replace_candidate(session, tree)
                out.write(f"load complete ({len(result.errors)} errors)\n")
                return None
    except config_text.ConfigSyntaxError as e:
        out.write(e.format(origin) + "\n")
        return None
    _replace_candidate(session, tree)
    out.write(msg.LOAD_COMPLETE)
    return None


def _encode_secrets(session, tree: ConfigNode, schema) -> None:
    """Loaded text keeps secrets as typed: store `$9$`-secret leaves encoded, as `set` does."""

    def walk(node: ConfigNode, path: Path, snode) -> None:
        for step, c in node.children.items():
            sc = schema_node_for(schema, path + (step,)) if snode is not None else None
            if (sc is not None and sc.secret and sc.attrs.get("secret") == "9" and c.value is not None
                    and not is_encrypted9(c.value)):
                c.value = encrypt9(c.value, session.device.rng("secret"))
            if c.children:
                walk(c, path + (step,), sc)

    walk(tree, (), schema)


def err_word(e: ParseError) -> str:
    return {"unknown-command": "syntax error", "missing-argument": "missing argument"}.get(e.kind, "syntax error")


def _apply_set_line(session, tree: ConfigNode, line: str) -> ParseError | None:
    """One line of `load set`: the same verbs and the same apply logic as typed commands."""
    from ...grammar.parser import tokenize

    try:
        toks = tokenize(line)
        verb = toks[0].text if toks else ""
        if verb not in ("set", "delete", "activate", "deactivate"):
            raise ParseError("syntax", toks[0].start if toks else 0, verb)
        if verb == "set":
            matches = parse_statements(session.g.schema, (), toks[1:])
        else:
            matches = [parse_statement(session.g.schema, (), toks[1:], need_value=False)]
    except ParseError as e:
        return e
    for m in matches:
        if verb == "set":
            apply_set(session, tree, m)
        elif verb == "delete":
            apply_delete(tree, m)
        else:
            apply_active(tree, m, verb == "deactivate")
    return None


@handler("cfg-save")
async def cfg_save(session, match, out, io):
    text = config_text.render(session.candidate, session.g.schema)
    out.write(save_text(session, str(match.args["filename"]), text, "configuration"))
    return None
