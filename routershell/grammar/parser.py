"""Parse a command line against a command tree or a configuration schema.

Two walkers share one tokenizer and one error type:

* `parse_command(root, line)` for command trees: keywords abbreviate by unique prefix down to a
  node that names a handler; the rest of the line are that command's options, in any order.
* `parse_statement(schema, start, tokens)` for configuration statements (`set`, `delete`, `edit`,
  `show` in configuration mode): walks containers, list keys, leaf values.

Both walkers can stop before the last token and report what may come next (`candidates`), which
is what `?` and Tab show. Errors carry the column of the offending token so the front-end can draw
the caret the device draws; the words of the message belong to the platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .schema import Kind, Node, Path, Step
from .types import ValueTypeError


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    quoted: bool = False


class ParseError(Exception):
    """kind: unknown-command | syntax | expecting-command | missing-argument | ambiguous |
    invalid-value | unterminated-quote | not-found"""

    def __init__(
        self,
        kind: str,
        col: int,
        token: str = "",
        candidates: list[Candidate] | None = None,
        value_error: ValueTypeError | None = None,
    ) -> None:
        super().__init__(f"{kind} at {col}: {token!r}")
        self.kind = kind
        self.col = col
        self.token = token
        self.candidates = candidates or []
        self.value_error = value_error


@dataclass(frozen=True)
class Candidate:
    """One thing `?` lists: a keyword, an enum value, or a typed value `<name>`."""

    word: str  # the keyword/enum value, or "<name>" for a value
    help: str
    node: Node | None = None
    is_value: bool = False
    marker: str = " "  # ">" has children, "+" leaf-list (platforms may ignore)


def tokenize(line: str) -> list[Token]:
    """Split on blanks; "double quoted" strings are one token (escapes \\" and \\\\)."""
    toks: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c.isspace():
            i += 1
            continue
        start = i
        if c == '"':
            i += 1
            buf = []
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(line[i])
                i += 1
            if i >= n:
                raise ParseError("unterminated-quote", start, line[start:])
            i += 1
            toks.append(Token("".join(buf), start, i, True))
            continue
        while i < n and not line[i].isspace():
            i += 1
        toks.append(Token(line[start:i], start, i))
    return toks


# ---------------------------------------------------------------------------------------------
# command trees
# ---------------------------------------------------------------------------------------------


@dataclass
class CommandMatch:
    node: Node
    handler: str
    args: dict[str, object] = field(default_factory=dict)  # option/arg name -> value (True for flags)
    words: list[str] = field(default_factory=list)  # full keywords of the command path
    rest: dict[str, list[Token]] = field(default_factory=dict)  # special args -> their tokens


@dataclass
class _OpState:
    node: Node
    words: list[str] = field(default_factory=list)
    scope: list[Node] = field(default_factory=list)  # nodes whose children are options now
    used: set[int] = field(default_factory=set)
    args: dict[str, object] = field(default_factory=dict)
    rest: dict[str, list[Token]] = field(default_factory=dict)
    pending: Node | None = None  # option waiting for its value
    finished: bool = False  # a rest-of-line argument took everything

    @property
    def in_options(self) -> bool:
        return self.node.handler is not None


def _option_nodes(st: _OpState) -> list[Node]:
    out = []
    for s in st.scope:
        for c in s.all_children():
            if id(c) not in st.used:
                out.append(c)
    return out


def _value_candidates(node: Node) -> list[Candidate]:
    if node.choices:
        return [Candidate(v, h, node, False) for v, h in node.choices.items()]
    assert node.arg is not None
    return [Candidate(f"<{node.arg.name}>", node.help, node, True)]


def check_value(node: Node, tok: Token, *, abbreviate: bool = True) -> str:
    """The canonical value `tok` gives `node` (an enum value, or its typed argument), or a
    ParseError: "invalid-value" (with the type's ValueTypeError), "syntax" or "ambiguous" for an
    enum. `abbreviate`: an enum value may be a unique prefix (typed commands; not loaded text)."""
    return _check_value(node, tok, abbreviate)


def _check_value(node: Node, tok: Token, abbreviate: bool = True) -> str:
    if node.choices:
        if tok.text in node.choices:
            return tok.text
        hits = [v for v in node.choices if v.startswith(tok.text)] if abbreviate else []
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise ParseError("ambiguous", tok.start, tok.text, [Candidate(v, node.choices[v], node) for v in hits])
        raise ParseError("syntax", tok.start, tok.text)
    assert node.arg is not None
    if node.arg.type is None:
        return tok.text
    try:
        return node.arg.type.check(tok.text)
    except ValueTypeError as e:
        raise ParseError("invalid-value", tok.start, tok.text, value_error=e) from None


def _op_step(st: _OpState, tok: Token, toks: list[Token], idx: int) -> None:
    if st.finished:
        raise ParseError("syntax", tok.start, tok.text)
    if st.pending is not None:
        node, st.pending = st.pending, None
        st.args[node.name] = _check_value(node, tok)
        return
    if not st.in_options:
        hits = st.node.matches_prefix(tok.text) if not tok.quoted else []
        if len(hits) > 1:
            raise ParseError("ambiguous", tok.start, tok.text, [_keyword_candidate(h) for h in hits])
        if not hits:
            for p in st.node.positionals:  # e.g. `ping <host>` written as a group with an arg
                if _accepts(p, tok):
                    st.node = p
                    st.args[p.arg.name] = _check_value(p, tok)  # type: ignore[union-attr]
                    if p.handler is not None:
                        st.scope = [p]
                    return
            raise ParseError("unknown-command", tok.start, tok.text)
        st.node = hits[0]
        st.words.append(st.node.word or "")
        if st.node.handler is not None:
            st.scope = [st.node]
        return
    options = _option_nodes(st)
    keywords = [o for o in options if o.word is not None]
    hits = []
    if not tok.quoted:
        hits = [o for o in keywords if o.word == tok.text] or [o for o in keywords if o.word.startswith(tok.text)]  # type: ignore[union-attr]
    if len(hits) > 1:
        raise ParseError("ambiguous", tok.start, tok.text, [_keyword_candidate(h) for h in hits])
    if hits:
        opt = hits[0]
        st.used.add(id(opt))
        if opt.arg is not None or opt.choices:
            if opt.arg is not None and opt.arg.special:
                st.rest[opt.arg.name] = toks[idx + 1 :]
                st.finished = True
                return
            st.pending = opt
        else:
            st.args[opt.name] = True
        if opt.block:
            st.scope.append(opt)
        return
    for p in (o for o in options if o.word is None):
        assert p.arg is not None
        if p.arg.special:
            st.used.add(id(p))
            st.rest[p.arg.name] = toks[idx:]
            st.finished = True
            return
        if _accepts(p, tok):
            st.used.add(id(p))
            st.args[p.arg.name] = _check_value(p, tok)
            if p.block:
                st.scope.append(p)
            return
    positional = [o for o in options if o.word is None]
    if len(positional) == 1 and positional[0].arg is not None:
        # the only thing that fits here is a value: report why this one is not valid
        _check_value(positional[0], tok)
    kind = "syntax" if options else "expecting-command"
    raise ParseError(kind, tok.start, tok.text)


def _accepts(node: Node, tok: Token) -> bool:
    try:
        _check_value(node, tok)
        return True
    except ParseError:
        return False


def _keyword_candidate(n: Node) -> Candidate:
    marker = ">" if (n.block and n.kind in (Kind.CONTAINER, Kind.LIST)) else ("+" if n.leaf_list else " ")
    return Candidate(n.word or f"<{n.arg.name}>", n.help, n, n.word is None, marker)  # type: ignore[union-attr]


def _op_walk(root: Node, toks: list[Token]) -> _OpState:
    st = _OpState(root)
    for idx, tok in enumerate(toks):
        if st.finished:
            break
        _op_step(st, tok, toks, idx)
    return st


def parse_command(root: Node, line: str | list[Token]) -> CommandMatch:
    toks = tokenize(line) if isinstance(line, str) else line
    st = _op_walk(root, toks)
    end = toks[-1].end + 1 if toks else 0
    if st.pending is not None:
        raise ParseError("missing-argument", end, "")
    if not st.in_options:
        raise ParseError("expecting-command", end, "")
    for o in _option_nodes(st):
        if o.mandatory:
            raise ParseError("missing-argument", end, "", [_keyword_candidate(o)])
    return CommandMatch(st.node, st.node.handler or "", st.args, st.words, st.rest)


def command_candidates(root: Node, toks: list[Token]) -> tuple[list[Candidate], bool]:
    """What may follow `toks`; the bool says the command could be executed as it stands."""
    st = _op_walk(root, toks)
    if st.finished:
        return [], True
    if st.pending is not None:
        return _value_candidates(st.pending), False
    if not st.in_options:
        cands = [_keyword_candidate(c) for c in st.node.children.values()]
        cands += [c for p in st.node.positionals for c in _value_candidates(p)]
        return cands, False
    out = []
    for o in _option_nodes(st):
        if o.word is None:
            out.extend(_value_candidates(o) if not (o.arg and o.arg.special) else [Candidate(f"<{o.arg.name}>", o.help, o, True)])
        else:
            out.append(_keyword_candidate(o))
    complete = not any(o.mandatory for o in _option_nodes(st))
    return out, complete


# ---------------------------------------------------------------------------------------------
# configuration statements
# ---------------------------------------------------------------------------------------------


@dataclass
class StatementMatch:
    path: Path  # absolute path of the statement in the configuration tree
    node: Node  # schema node of the statement
    value: str | None = None  # leaf / enum value
    values: list[str] = field(default_factory=list)  # leaf-list values
    list_all: bool = False  # a keyed list named without a key (`delete unit`)
    next_index: int = 0  # tokens consumed

    @property
    def complete_for_set(self) -> bool:
        k = self.node.kind
        if self.list_all:
            return False
        if k in (Kind.LEAF, Kind.ENUM):
            return self.value is not None
        if k == Kind.LEAF_LIST:
            return bool(self.values)
        return True


@dataclass
class _CfgState:
    node: Node
    path: list[Step]
    phase: str = "children"  # children | key | value | values | done
    value: str | None = None
    values: list[str] = field(default_factory=list)
    in_bracket: bool = False


def _schema_child(node: Node, tok: Token) -> Node:
    if not tok.quoted:
        if tok.text in node.children:
            return node.children[tok.text]
    for p in node.positionals:  # hidden-keyword list: the token is a key
        if _accepts(p, tok):
            return p
    hits = [] if tok.quoted else [c for w, c in node.children.items() if w.startswith(tok.text) and "hidden" not in c.attrs]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise ParseError("ambiguous", tok.start, tok.text, [_keyword_candidate(h) for h in hits])
    if len(node.positionals) == 1 and not node.children:
        _check_value(node.positionals[0], tok)
    raise ParseError("syntax", tok.start, tok.text)


def _cfg_step(st: _CfgState, tok: Token) -> None:
    if st.phase == "done":
        raise ParseError("syntax", tok.start, tok.text)
    if st.phase == "key":
        key = _check_value(st.node, tok)
        st.path.append((st.node.name, key))
        st.phase = "children"
        return
    if st.phase == "value":
        st.value = _check_value(st.node, tok)
        st.path.append((st.node.name, None))
        st.phase = "done"
        return
    if st.phase == "values":
        if tok.text == "[" and not tok.quoted and not st.in_bracket and not st.values:
            st.in_bracket = True
            return
        if tok.text == "]" and not tok.quoted and st.in_bracket:
            st.in_bracket = False
            st.phase = "done"
            return
        st.values.append(_check_value(st.node, tok))
        if not st.in_bracket:
            st.phase = "done"
        return
    child = _schema_child(st.node, tok)
    st.node = child
    kind = child.kind
    if child.word is None:  # hidden list: this token was the key
        st.path.append((child.name, _check_value(child, tok)))
        st.phase = "children"
    elif kind == Kind.LIST:
        st.phase = "key"
    elif kind in (Kind.LEAF, Kind.ENUM):
        st.phase = "value"
    elif kind == Kind.LEAF_LIST:
        st.path.append((child.name, None))
        st.phase = "values"
    elif kind == Kind.FLAG:
        st.path.append((child.name, None))
        st.phase = "done"
    else:
        st.path.append((child.name, None))


def _cfg_walk(start: Node, base: Path, toks: list[Token]) -> _CfgState:
    st = _CfgState(start, list(base))
    for tok in toks:
        _cfg_step(st, tok)
    return st


def parse_statement(start: Node, base: Path, toks: list[Token], *, need_value: bool = True) -> StatementMatch:
    """Walk `toks` from schema node `start` at tree path `base`.

    need_value: `set` needs leaf values and list keys; `delete`/`show`/`edit` do not.
    """
    return _finish(_cfg_walk(start, base, toks), toks, need_value)


def _finish(st: _CfgState, toks: list[Token], need_value: bool) -> StatementMatch:
    end = toks[-1].end + 1 if toks else 0
    if st.phase == "key":
        if need_value:
            raise ParseError("missing-argument", end, "")
        return StatementMatch(tuple(st.path), st.node, list_all=True, next_index=len(toks))
    if st.phase == "value":
        if need_value:
            raise ParseError("missing-argument", end, "")
        st.path.append((st.node.name, None))
    if st.phase == "values" and (st.in_bracket or (need_value and not st.values)):
        raise ParseError("missing-argument", end, "")
    return StatementMatch(tuple(st.path), st.node, st.value, st.values, next_index=len(toks))


def _sibling_walk(start: Node, base: Path, toks: list[Token]) -> tuple[list[StatementMatch], _CfgState]:
    """Walk `toks` as one or more sibling statements: once a statement is complete (a leaf with
    its value, a flag, a leaf-list), the next token starts a sibling of it at its parent level."""
    done: list[StatementMatch] = []
    st = _CfgState(start, list(base))
    for i, tok in enumerate(toks):
        if st.phase == "done" and st.node.parent is not None:
            done.append(StatementMatch(tuple(st.path), st.node, st.value, st.values, next_index=i))
            st = _CfgState(st.node.parent, st.path[:-1])
        _cfg_step(st, tok)
    return done, st


def parse_statements(start: Node, base: Path, toks: list[Token]) -> list[StatementMatch]:
    """`set` with several sibling statements after one path (`... direction bidirectional protocol
    esp spi 4000`): one match per statement, in order. Every statement but the last is complete
    by construction; the last must be complete as for parse_statement(need_value=True)."""
    done, st = _sibling_walk(start, base, toks)
    return done + [_finish(st, toks, True)]


def statement_candidates(start: Node, base: Path, toks: list[Token], *, siblings: bool = False) -> tuple[list[Candidate], bool]:
    """What may follow `toks`. `siblings`: a complete statement may be followed by a sibling
    statement (`set`), so its parent's statements are offered too."""
    if siblings:
        _done, st = _sibling_walk(start, base, toks)
        if st.phase == "done" and st.node.parent is not None:
            parent = st.node.parent
            out = [_keyword_candidate(c) for c in parent.children.values() if "hidden" not in c.attrs]
            for p in parent.positionals:
                out.extend(_value_candidates(p))
            return out, True
    st = _cfg_walk(start, base, toks)
    if st.phase in ("key", "value"):
        return _value_candidates(st.node), False
    if st.phase == "values":
        vals = _value_candidates(st.node)
        if not st.in_bracket and not st.values:
            vals.append(Candidate("[", "Open a set of values", st.node))
        return vals, bool(st.values) and not st.in_bracket
    if st.phase == "done":
        return [], True
    out = [_keyword_candidate(c) for c in st.node.children.values() if "hidden" not in c.attrs]
    for p in st.node.positionals:
        out.extend(_value_candidates(p))
    return out, True


def statement_position(start: Node, base: Path, toks: list[Token], *, siblings: bool = False) -> tuple[Path, Node, str]:
    """Where `toks` leave the walk: (tree path so far, schema node, phase) — lets `?` list the
    keys that already exist in the configuration at that point. `siblings` as for
    statement_candidates."""
    st = _sibling_walk(start, base, toks)[1] if siblings else _cfg_walk(start, base, toks)
    return tuple(st.path), st.node, st.phase


def schema_node_for(schema: Node, path: Path) -> Node | None:
    """The schema node of a tree path (list entries map to their list node)."""
    node: Node | None = schema
    for name, _key in path:
        if node is None:
            return None
        node = node.child(name)
    return node


def find_special(root: Node, toks: list[Token]) -> tuple[str, list[Token]] | None:
    """If `toks` reach a rest-of-line argument (a configuration statement, an operational command
    after `run`), return its special type and the tokens it holds so far; None otherwise."""
    try:
        st = _op_walk(root, toks)
    except ParseError:
        return None
    specials = {}
    for s in st.scope:
        for c in s.all_children():
            if c.arg is not None and c.arg.special:
                specials[c.arg.name] = c.arg.special
    if st.finished:
        for name, rest in st.rest.items():
            return specials.get(name, "rest"), rest
    if st.in_options and st.pending is None:
        for o in _option_nodes(st):
            if o.word is None and o.arg is not None and o.arg.special:
                return o.arg.special, []
    return None
