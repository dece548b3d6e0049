"""Junos configuration text: the curly-brace form, `| display set`, `| display json`,
`show | compare`, and the parser for `load merge|override|replace` and the on-disk files.

Schema attributes this module honours besides the node kinds:

* `@secret`   — leaf printed with ` ## SECRET-DATA` after the `;`.
* `@ordered`  — list entries keep insertion order (else natural sort, see config/order.py).
* `@oneliner` — a list entry or container whose only statement is a simple one (leaf, leaf-list,
  enum, flag) prints on one line: `route 0.0.0.0/0 next-hop 10.0.0.254;`.
* `@flat`     — a container whose keyword is written in front of each child on the same line,
  never as a block of its own: `family inet { ... }`, `family inet6;`.
* `@json(name)` — the JSON member name of a hidden-keyword list (`interface` for interfaces);
  without it the argument name minus a trailing `-name` is used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ...config.order import ordered_children
from ...config.tree import ConfigNode
from ...grammar.schema import Kind, Node

INDENT = "    "
SECRET_MARK = "## SECRET-DATA"
TAGS = ("inactive:", "replace:")
_NEEDS_QUOTES = re.compile(r"""[\s;{}\[\]"'#\\$]|/\*|\*/""")


# ---------------------------------------------------------------------------------------------
# rendering helpers
# ---------------------------------------------------------------------------------------------
def quote(value: str) -> str:
    """A value as Junos writes it: bare when it is one plain token, else in double quotes."""
    if value and not _NEEDS_QUOTES.search(value) and value not in TAGS:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _kind(sc: Node | None, cfg: ConfigNode) -> Kind:
    if sc is not None:
        return sc.kind
    # Statements the schema does not know: guess from the data so nothing is lost on output.
    if cfg.values:
        return Kind.LEAF_LIST
    if cfg.value is not None:
        return Kind.LEAF
    if cfg.children or cfg.key is not None:
        return Kind.LIST if cfg.key is not None else Kind.CONTAINER
    return Kind.FLAG


def _word(cfg: ConfigNode, sc: Node | None) -> str | None:
    if sc is not None:
        return sc.word
    return None if cfg.name.startswith("<") else cfg.name


def _head(cfg: ConfigNode, sc: Node | None) -> str:
    """The statement without terminator: `host-name r1`, `unit 0`, `ge-0/0/0`, `proposals [ a b ]`."""
    kind = _kind(sc, cfg)
    word = _word(cfg, sc)
    if kind is Kind.LIST:
        key = quote(cfg.key or "")
        return f"{word} {key}" if word else key
    if kind in (Kind.LEAF, Kind.ENUM):
        return f"{word} {quote(cfg.value or '')}"
    if kind is Kind.LEAF_LIST:
        if len(cfg.values) == 1:
            return f"{word} {quote(cfg.values[0])}"
        return f"{word} [ {' '.join(quote(v) for v in cfg.values)} ]"
    return word or cfg.name


def _is_block(kind: Kind) -> bool:
    return kind in (Kind.CONTAINER, Kind.LIST)


def _visible(cfg: ConfigNode, sc: Node | None, show_inactive: bool) -> list[tuple[ConfigNode, Node | None]]:
    return [(c, s) for c, s in ordered_children(cfg, sc) if show_inactive or not c.inactive]


@dataclass
class _Opts:
    secret_suffix: bool = True
    show_inactive: bool = True


def _annotation_lines(cfg: ConfigNode, indent: str) -> list[str]:
    if cfg.annotation is None:
        return []
    text = cfg.annotation.replace("*/", "* /")
    return [f"{indent}/* {text} */"]


def _emit(cfg: ConfigNode, sc: Node | None, depth: int, out: list[str], opts: _Opts, lead: str = "", lead_inactive: bool = False) -> None:
    """Append the curly-form lines of one statement. `lead` is the keyword of a flat parent."""
    indent = INDENT * depth
    kind = _kind(sc, cfg)
    out.extend(_annotation_lines(cfg, indent))
    tag = "inactive: " if (cfg.inactive or lead_inactive) else ""
    head = lead + _head(cfg, sc)
    if not _is_block(kind):
        line = f"{indent}{tag}{head};"
        if opts.secret_suffix and sc is not None and sc.secret:
            line += " " + SECRET_MARK
        out.append(line)
        return
    children = _visible(cfg, sc, opts.show_inactive)
    if sc is not None and "flat" in sc.attrs and children:
        for child, csc in children:
            _emit(child, csc, depth, out, opts, lead + head + " ", lead_inactive or cfg.inactive)
        return
    if not children:
        out.append(f"{indent}{tag}{head};")
        return
    if sc is not None and sc.oneliner and len(children) == 1:
        child, csc = children[0]
        if not _is_block(_kind(csc, child)) and not child.inactive and child.annotation is None:
            line = f"{indent}{tag}{head} {_head(child, csc)};"
            if opts.secret_suffix and csc is not None and csc.secret:
                line += " " + SECRET_MARK
            out.append(line)
            return
    out.append(f"{indent}{tag}{head} {{")
    for child, csc in children:
        _emit(child, csc, depth + 1, out, opts)
    out.append(f"{indent}}}")


def render(tree: ConfigNode, schema: Node, secret_suffix: bool = True, show_inactive: bool = True) -> str:
    """`show configuration`: the statements below `tree` (described by `schema`) in curly form.

    Works on any subtree: pass the node at the edit path and the schema node that describes it.
    Returns text ending with a newline, or "" when there is nothing to show.
    """
    out: list[str] = []
    opts = _Opts(secret_suffix, show_inactive)
    for child, sc in _visible(tree, schema, show_inactive):
        _emit(child, sc, 0, out, opts)
    return "".join(line + "\n" for line in out)


# ---------------------------------------------------------------------------------------------
# | display set
# ---------------------------------------------------------------------------------------------
def _step_words(cfg: ConfigNode, sc: Node | None) -> list[str]:
    kind = _kind(sc, cfg)
    word = _word(cfg, sc)
    if kind is Kind.LIST:
        return ([word] if word else []) + [quote(cfg.key or "")]
    return [word or cfg.name]


def render_set(tree: ConfigNode, schema: Node, prefix: tuple[str, ...] = ()) -> str:
    """`| display set`: one `set` line per leaf, per leaf-list element and per childless
    container or list entry, then one `deactivate` line per inactive statement."""
    sets: list[str] = []
    deactivates: list[str] = []

    def walk(cfg: ConfigNode, sc: Node | None, words: tuple[str, ...]) -> None:
        for child, csc in ordered_children(cfg, sc):
            kind = _kind(csc, child)
            path = words + tuple(_step_words(child, csc))
            if child.inactive:
                deactivates.append("deactivate " + " ".join(path))
            if kind in (Kind.LEAF, Kind.ENUM):
                sets.append("set " + " ".join(path + (quote(child.value or ""),)))
            elif kind is Kind.LEAF_LIST:
                for v in child.values:
                    sets.append("set " + " ".join(path + (quote(v),)))
            elif kind is Kind.FLAG or not child.children:
                sets.append("set " + " ".join(path))
            else:
                walk(child, csc, path)

    walk(tree, schema, tuple(prefix))
    return "".join(line + "\n" for line in sets + deactivates)


# ---------------------------------------------------------------------------------------------
# | display json
# ---------------------------------------------------------------------------------------------
def _json_list_name(sc: Node | None, cfg: ConfigNode) -> str:
    if sc is not None and sc.word is not None:
        return sc.word
    if sc is not None and "json" in sc.attrs:
        return sc.attrs["json"]
    base = sc.arg.name if (sc is not None and sc.arg is not None) else cfg.name.strip("<>")
    return base.removesuffix("-name")


def _json_obj(cfg: ConfigNode, sc: Node | None) -> dict:
    obj: dict = {}
    for child, csc in ordered_children(cfg, sc):
        kind = _kind(csc, child)
        meta: dict = {}
        if child.inactive:
            meta["inactive"] = True
        if child.annotation is not None:
            meta["comment"] = f"/* {child.annotation} */"
        if kind is Kind.LIST:
            entry: dict = {}
            if meta:
                entry["@"] = meta
            entry["name"] = child.key
            entry.update(_json_obj(child, csc))
            obj.setdefault(_json_list_name(csc, child), []).append(entry)
            continue
        word = _word(child, csc) or child.name
        if kind is Kind.CONTAINER:
            sub = _json_obj(child, csc)
            obj[word] = ({"@": meta} | sub) if meta else sub
            continue
        if kind in (Kind.LEAF, Kind.ENUM):
            obj[word] = child.value
        elif kind is Kind.LEAF_LIST:
            obj[word] = list(child.values)
        else:
            obj[word] = [None]
        if meta:
            obj["@" + word] = meta
    return obj


def render_json(tree: ConfigNode, schema: Node) -> str:
    """`show configuration | display json`, in the Junos shape (lists as arrays of objects)."""
    doc = {"configuration": _json_obj(tree, schema)}
    return json.dumps(doc, indent=4, separators=(",", " : ")) + "\n"


# ---------------------------------------------------------------------------------------------
# show | compare
# ---------------------------------------------------------------------------------------------
def _signed(lines: list[str], sign: str) -> list[str]:
    return [sign + line[1:] if line.startswith(" ") else sign + line for line in lines]


def _items(old: ConfigNode | None, new: ConfigNode | None, sc: Node | None, lead: str = "") -> Iterator[tuple[ConfigNode | None, ConfigNode | None, Node | None, str]]:
    """Pairs (old child, new child, schema, lead) in display order; flat containers present on both
    sides are opened so their children compare as statements of this stanza (`family inet`)."""
    seen: set = set()
    order: list[tuple[ConfigNode, Node | None]] = []
    for side in (new, old):
        if side is None:
            continue
        for child, csc in ordered_children(side, sc):
            if child.ident not in seen:
                seen.add(child.ident)
                order.append((child, csc))
    if new is not None and old is not None:
        # keep the new side's display order, with removed statements placed by schema order
        merged = ConfigNode(children={c.ident: c for c, _ in order})
        order = ordered_children(merged, sc)
    for child, csc in order:
        o = old.children.get(child.ident) if old is not None else None
        n = new.children.get(child.ident) if new is not None else None
        if o is not None and n is not None and csc is not None and "flat" in csc.attrs and not o.inactive and not n.inactive and o.annotation == n.annotation:
            yield from _items(o, n, csc, lead + _head(n, csc) + " ")
        else:
            yield o, n, csc, lead


def compare(old: ConfigNode, new: ConfigNode, schema: Node, path: tuple[str, ...] = ()) -> str:
    """`show | compare`: `[edit <path>]` headers and `+`/`-` lines, "" when nothing differs."""
    out: list[str] = []
    last_header: list[str | None] = [None]
    opts = _Opts()

    def header(words: tuple[str, ...]) -> None:
        text = "[edit" + "".join(" " + w for w in words) + "]"
        if last_header[0] != text:
            out.append(text)
            last_header[0] = text

    def lines_of(cfg: ConfigNode, sc: Node | None, lead: str) -> list[str]:
        buf: list[str] = []
        _emit(cfg, sc, 1, buf, opts, lead)
        return buf

    def diff(o_node: ConfigNode, n_node: ConfigNode, sc: Node | None, words: tuple[str, ...]) -> None:
        for o, n, csc, lead in _items(o_node, n_node, sc):
            if o is None and n is not None:
                header(words)
                out.extend(_signed(lines_of(n, csc, lead), "+"))
                continue
            if n is None and o is not None:
                header(words)
                out.extend(_signed(lines_of(o, csc, lead), "-"))
                continue
            assert o is not None and n is not None
            if o == n:
                continue
            kind = _kind(csc, n)
            if not _is_block(kind) or o.annotation != n.annotation:
                header(words)
                out.extend(_signed(lines_of(o, csc, lead), "-"))
                out.extend(_signed(lines_of(n, csc, lead), "+"))
                continue
            if o.inactive != n.inactive:
                header(words)
                tag = "inactive: " if n.inactive else "active: "
                out.append("!" + INDENT[1:] + tag + lead + _head(n, csc) + " { ... }")
            flat_lead = tuple(lead.split()) if lead else ()
            diff(o, n, csc, words + flat_lead + tuple(_step_words(n, csc)))

    diff(old, new, schema, tuple(path))
    return "".join(line + "\n" for line in out)
