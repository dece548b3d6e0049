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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ...config.order import ordered_children
from ...config.tree import ConfigNode, Path
from ...grammar.parser import ParseError, Token, check_value
from ...grammar.schema import Kind, Node
from ...grammar.types import ValueTypeError

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
    # The sign stands before the statement's normal indentation (`+    unit 32 {` under
    # `[edit interfaces vlan]`), as real devices print it (reference G1, a vJunos transcript).
    return [sign + line for line in lines]


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


def _unannotated(cfg: ConfigNode) -> ConfigNode:
    """The statement without its own comment (its children keep theirs)."""
    bare = ConfigNode(cfg.name, cfg.key, cfg.value, cfg.values, cfg.children, cfg.inactive, None)
    return bare


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
            if o.annotation != n.annotation:
                # Only the comment changed (`annotate`): the comment lines, then the statement as
                # context, not the whole statement removed and added again.
                header(words)
                out.extend(_signed(_annotation_lines(o, INDENT), "-"))
                out.extend(_signed(_annotation_lines(n, INDENT), "+"))
                o, n = _unannotated(o), _unannotated(n)
                if o == n or _is_block(kind):
                    tail = " { ... }" if _is_block(kind) else ";"
                    tag = "inactive: " if n.inactive else ""
                    out.append(" " + INDENT + tag + lead + _head(n, csc) + tail)
                    if o == n:
                        continue
            if not _is_block(kind):
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


# ---------------------------------------------------------------------------------------------
# parsing the curly form (`load merge|override|replace terminal|FILE`, files on disk)
# ---------------------------------------------------------------------------------------------
class ConfigSyntaxError(ValueError):
    """A load error, positioned the way Junos reports it: `terminal:3:(18) syntax error: metric`.

    `line` is 1-based; `column` is the 0-based start of `token`, `end_column` its end (the number
    Junos prints for curly-form input). `path` is the edit path of the enclosing stanza and
    `statement` the source line, for the `[edit ...]` / `'statement'` context lines. `kind`:
    "syntax", "value" (`detail` holds the ValueTypeError) or "recovery".
    """

    def __init__(self, line: int, column: int, end_column: int, token: str, message: str = "syntax error", *, kind: str = "syntax", path: tuple[str, ...] = (), statement: str = "", detail: ValueTypeError | None = None) -> None:
        self.line = line
        self.column = column
        self.end_column = end_column
        self.token = token
        self.message = message
        self.kind = kind
        self.path = path
        self.statement = statement
        self.detail = detail
        super().__init__(self.format())

    def __str__(self) -> str:
        return self.format()

    def format(self, source: str = "terminal") -> str:
        return f"{source}:{self.line}:({self.end_column}) {self.message}: {self.token}"


@dataclass(frozen=True)
class LoadWarning:
    """A statement dropped on load: `[edit <path>]` / `'<statement>'` / `warning: ...`."""

    path: tuple[str, ...]
    statement: str
    code: str = "no-contents"


@dataclass
class LoadResult:
    tree: ConfigNode
    replace_paths: set[Path] = field(default_factory=set)
    errors: list[ConfigSyntaxError] = field(default_factory=list)
    warnings: list[LoadWarning] = field(default_factory=list)


@dataclass(frozen=True)
class _Tok:
    kind: str  # word string annot { } ; [ ] eof
    text: str
    line: int
    col: int
    end: int


_PUNCT = "{};[]"


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, line, line_start, n = 0, 1, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            i += 1
            line_start = i
        elif ch.isspace():
            i += 1
        elif ch == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                raise ConfigSyntaxError(line, i - line_start, i - line_start + 2, "/*")
            body = text[i + 2 : close]
            toks.append(_Tok("annot", body.strip(), line, i - line_start, close + 2 - line_start))
            line += body.count("\n")
            if "\n" in body:
                line_start = text.rfind("\n", i, close) + 1
            i = close + 2
        elif ch in _PUNCT:
            toks.append(_Tok(ch, ch, line, i - line_start, i - line_start + 1))
            i += 1
        elif ch == '"':
            start, start_line, col = i, line, i - line_start
            out: list[str] = []
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                if text[i] == "\n":
                    line += 1
                    line_start = i + 1
                out.append(text[i])
                i += 1
            if i >= n:
                raise ConfigSyntaxError(start_line, col, col + 1, text[start : start + 20].split("\n")[0])
            i += 1
            toks.append(_Tok("string", "".join(out), start_line, col, col + (i - start)))
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in _PUNCT and text[i] != '"':
                i += 1
            toks.append(_Tok("word", text[start:i], line, start - line_start, i - line_start))
    toks.append(_Tok("eof", "", line, i - line_start, i - line_start))
    return toks


class _Fail(Exception):
    def __init__(self, err: ConfigSyntaxError) -> None:
        self.err = err


class _Parser:
    def __init__(self, text: str, schema: Node, strict: bool) -> None:
        self.lines = text.split("\n")
        self.toks = _tokenize(text)
        self.pos = 0
        self.schema = schema
        self.strict = strict
        self.result = LoadResult(ConfigNode())

    # token helpers
    def peek(self) -> _Tok:
        return self.toks[self.pos]

    def next(self) -> _Tok:
        tok = self.toks[self.pos]
        if tok.kind != "eof":
            self.pos += 1
        return tok

    def fail(self, tok: _Tok, words: tuple[str, ...], kind: str = "syntax", detail: ValueTypeError | None = None) -> _Fail:
        token = tok.text if tok.kind != "eof" else "EOF"
        stmt = self.lines[tok.line - 1].strip() if tok.line <= len(self.lines) else ""
        return _Fail(ConfigSyntaxError(tok.line, tok.col, tok.end, token, kind=kind, path=words, statement=stmt, detail=detail))

    def expect(self, kind: str, words: tuple[str, ...]) -> _Tok:
        tok = self.next()
        if tok.kind != kind:
            raise self.fail(tok, words)
        return tok

    def value(self, sc: Node, words: tuple[str, ...]) -> str:
        tok = self.next()
        if tok.kind not in ("word", "string"):
            raise self.fail(tok, words)
        return self.checked(sc, tok, words)

    def checked(self, sc: Node, tok: _Tok, words: tuple[str, ...]) -> str:
        # the parser's own value check; loaded text spells enum values out in full
        try:
            return check_value(sc, Token(tok.text, tok.col, tok.end, tok.kind == "string"), abbreviate=False)
        except ParseError as e:
            raise self.fail(tok, words, "value", e.value_error or ValueTypeError("enum", tok.text)) from None

    # grammar
    def run(self) -> LoadResult:
        self.block(self.result.tree, self.schema, (), (), top=True)
        return self.result

    def block(self, cfg: ConfigNode, sc: Node, path: Path, words: tuple[str, ...], top: bool = False) -> None:
        annot: str | None = None
        while True:
            tok = self.peek()
            if tok.kind == "eof":
                if top:
                    return
                raise self.fail(tok, words)
            if tok.kind == "}":
                if top:
                    self.error(self.fail(self.next(), words).err)
                    continue
                return
            if tok.kind == "annot":
                annot = self.next().text
                continue
            try:
                self.statement(cfg, sc, path, words, annot, False)
            except _Fail as f:
                self.error(f.err)
                self.recover(words)
            annot = None

    def error(self, err: ConfigSyntaxError) -> None:
        if self.strict:
            raise _Fail(err)
        self.result.errors.append(err)

    def recover(self, words: tuple[str, ...]) -> None:
        """Skip the rest of the failed statement: to its `;`, or past the block it opened."""
        depth, crossed = 0, False
        while True:
            tok = self.peek()
            if tok.kind == "eof":
                return
            if tok.kind == "}" and depth == 0:
                return
            self.next()
            if tok.kind == "{":
                depth, crossed = depth + 1, True
            elif tok.kind == "}":
                depth -= 1
                if depth == 0:
                    if crossed:
                        err = self.fail(tok, words).err
                        err.message, err.kind = "error recovery ignores input until this point", "recovery"
                        self.result.errors.append(err)
                    return
            elif tok.kind == ";" and depth == 0:
                return

    def resolve(self, sc: Node, tok: _Tok) -> Node | None:
        if tok.kind == "word" and tok.text in sc.children:
            return sc.children[tok.text]
        for p in sc.positionals:
            if p.word is None and p.arg is not None:
                try:
                    check_value(p, Token(tok.text, tok.col, tok.end, tok.kind == "string"), abbreviate=False)
                    return p
                except ParseError:
                    continue
        return None

    def statement(self, cfg: ConfigNode, sc: Node, path: Path, words: tuple[str, ...], annot: str | None, inactive: bool) -> None:
        replace = False
        while self.peek().kind == "word" and self.peek().text in TAGS:
            if self.next().text == "inactive:":
                inactive = True
            else:
                replace = True
        tok = self.next()
        if tok.kind not in ("word", "string"):
            raise self.fail(tok, words)
        csc = self.resolve(sc, tok)
        if csc is None:
            raise self.fail(tok, words)
        kind = csc.kind
        if kind is Kind.LIST:
            key = self.checked(csc, tok, words) if csc.word is None else self.value(csc, words)
            step: tuple[str, str | None] = (csc.name, key)
        else:
            step = (csc.name, None)
        here = path + (step,)
        if replace:
            self.result.replace_paths.add(here)
        flat_inline = "flat" in csc.attrs and self.peek().kind in ("word", "string")
        # Simple statements are stored only once complete, so a bad value leaves nothing behind.
        value: str | None = None
        vals: list[str] = []
        if kind in (Kind.LEAF, Kind.ENUM):
            value = self.value(csc, words)
            self.expect(";", words)
        elif kind is Kind.LEAF_LIST:
            if self.peek().kind == "[":
                self.next()
                while self.peek().kind != "]":
                    vals.append(self.value(csc, words))
                self.next()
            elif self.peek().kind == "{":
                # the block form, one value per statement: `source-address { 10.0.0.0/8; }`
                self.next()
                while self.peek().kind != "}":
                    vals.append(self.value(csc, words))
                    self.expect(";", words)
                self.next()
            else:
                vals = [self.value(csc, words)]
            if self.toks[self.pos - 1].kind != "}":
                self.expect(";", words)
        elif kind is Kind.FLAG:
            self.expect(";", words)
        node = cfg.children.get(step)
        if node is None:
            node = cfg.children[step] = ConfigNode(*step)
        if not flat_inline:
            node.inactive = node.inactive or inactive
            if annot is not None:
                node.annotation = annot
        if value is not None:
            node.value = value
        node.values = node.values + [v for v in vals if v not in node.values]
        if kind in (Kind.LEAF, Kind.ENUM, Kind.LEAF_LIST, Kind.FLAG):
            return
        nwords = words + tuple(_step_words(node, csc))
        nxt = self.peek()
        if nxt.kind == "{":
            self.next()
            before = len(self.result.errors)
            self.block(node, csc, here, nwords)
            self.expect("}", nwords)
            if kind is Kind.CONTAINER and not node.children and len(self.result.errors) > before:
                del cfg.children[step]
                self.result.warnings.append(LoadWarning(words, _head(node, csc)))
        elif nxt.kind == ";":
            self.next()
        else:  # same-line child: `family inet {`, `route 0/0 next-hop 10.0.0.1;`
            if flat_inline:
                self.statement(node, csc, here, nwords, annot, inactive)
            else:
                self.statement(node, csc, here, nwords, None, False)


def parse_load(text: str, schema: Node) -> LoadResult:
    """Lenient parse as `load` does it: errors are collected, the valid statements kept, and
    `replace:` tags reported in `replace_paths`."""
    try:
        return _Parser(text, schema, strict=False).run()
    except ConfigSyntaxError as err:  # tokenizer: unterminated string or annotation
        return LoadResult(ConfigNode(), errors=[err])
    except _Fail as f:
        return LoadResult(ConfigNode(), errors=[f.err])


def parse(text: str, schema: Node) -> ConfigNode:
    """Strict parse of the curly form; raises ConfigSyntaxError at the first error."""
    try:
        return _Parser(text, schema, strict=True).run().tree
    except _Fail as f:
        raise f.err from None


def codec(schema: Node) -> tuple[Callable[[ConfigNode], str], Callable[[str], ConfigNode]]:
    """(to_text, from_text) for ConfigStore: the device keeps its configuration in curly form."""
    return (lambda tree: render(tree, schema)), (lambda text: parse(text, schema))
