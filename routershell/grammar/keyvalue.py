"""Parse `KEYWORD=value` command languages (AlliedWare classic) against a grammar tree.

The same grammar files and Node trees as every other platform (loader.py), read by a second
walker. In such a tree:

* Keywords are written the way the vendor's manuals print them, `CREate IPSec POLicy`: the
  leading capitals (and digits) are the minimum abbreviation, matching is case-insensitive, so
  `cre ips pol`, `CREATE IPSEC POLICY` and `create ipsec policy` are the same command. A word
  with no lowercase letter (`ENCO`, `LOGOFF`) must be typed in full; one that starts in
  lowercase too.
* A command word that carries an argument takes its value after `=` in the same token
  (`POLicy <name:string(1..23)> => create-ipsec-policy` reads `POLicy=vpn`). With the attribute
  `@optional-value` the value may be left out (`SHow ISAkmp SA[=id]`).
* The statements in a command's block are its parameters, in any order, each at most once:
  `PEer <peer:ip> (ANy)` reads `PEER=192.0.2.1` or `peer=any` (choices are tried before the
  typed value and abbreviate like keywords); a parameter without an argument is a bare flag
  (`COUnter`); `@optional-value` and `@mandatory` as above.
* Values may be double-quoted (`NAME="head office"`); quotes are removed.

`parse_kv_command(root, line) -> CommandMatch` (args keyed by parameter name as written in the
grammar, e.g. "PEer" -> its canonical value; a choice comes back as written in the grammar) and
`kv_candidates(root, line)` for Tab completion. Errors are `ParseError`s with these kinds (the
platform words them): unknown-command, expecting-command, ambiguous, syntax (unknown
parameter), duplicate (a parameter given twice), missing-value, unexpected-value (a flag given a
value), invalid-value, missing-argument (a mandatory parameter left out; its node in
`candidates`), unterminated-quote. `ParseError.token` holds the keyword (or value) concerned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .parser import Candidate, CommandMatch, ParseError
from .schema import Node
from .types import ValueTypeError

__all__ = ["KvToken", "abbreviation", "kv_candidates", "kv_tokenize", "matches_word", "parse_kv_command"]


@dataclass(frozen=True)
class KvToken:
    key: str  # the text before `=` (or the whole token)
    value: str | None  # after `=`, quotes removed; None when there is no `=`
    start: int  # column of the token
    value_start: int  # column of the value (== start when no value)
    end: int


_WORD = re.compile(r'(?:"[^"]*"|[^\s"])+|"')  # a blank-free run (quoted parts may hold blanks)


def kv_tokenize(line: str) -> list[KvToken]:
    """Split on blanks outside double quotes; each token is KEY or KEY=VALUE."""
    out: list[KvToken] = []
    for m in _WORD.finditer(line):
        text, start, end = m.group(0), m.start(), m.end()
        if '"' not in text:  # the common case
            key, eq, value = text.partition("=")
            out.append(KvToken(key, value, start, start + len(key) + 1, end) if eq
                       else KvToken(text, None, start, start, end))
            continue
        out.append(_quoted_token(line, text, start, end))
    return out


def _quoted_token(line: str, text: str, start: int, end: int) -> KvToken:
    """A token with quotes: they are removed; `=` counts only before the first one."""
    buf: list[str] = []
    key: str | None = None
    value_start = start
    quoted = False
    i = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            j = text.find('"', i + 1)
            if j < 0:
                raise ParseError("unterminated-quote", start + i, line[start + i:])
            buf.append(text[i + 1 : j])
            quoted = True
            i = j + 1
            continue
        if c == "=" and key is None and not quoted:
            key, buf, value_start = "".join(buf), [], start + i + 1
        else:
            buf.append(c)
        i += 1
    value = "".join(buf)
    return KvToken(value, None, start, start, end) if key is None else KvToken(key, value, start, value_start, end)


@lru_cache(maxsize=4096)
def abbreviation(word: str) -> int:
    """Minimum length of `word`: its leading capitals and digits; the whole word if it has no
    lowercase letter or starts with one."""
    if not any(c.islower() for c in word) or word[:1].islower():
        return len(word)
    n = 0
    while n < len(word) and not word[n].islower():
        n += 1
    return n


def matches_word(word: str, text: str) -> bool:
    """`text` names `word` (case-insensitive, at least the minimum abbreviation)."""
    t = text.lower()
    return bool(t) and word.lower().startswith(t) and len(t) >= abbreviation(word)


def _hits(nodes: list[Node], text: str) -> list[Node]:
    exact = [n for n in nodes if n.word is not None and n.word.lower() == text.lower()]
    if exact:
        return exact[:1]
    return [n for n in nodes if n.word is not None and matches_word(n.word, text)]


def _candidate(n: Node) -> Candidate:
    word = n.word or ""
    if n.arg is not None or n.choices:
        word += "="
    return Candidate(word, n.help, n, False)


def _check_value(node: Node, tok: KvToken) -> str:
    assert tok.value is not None
    text = tok.value
    if node.choices:
        exact = [c for c in node.choices if c.lower() == text.lower()]
        hits = exact or [c for c in node.choices if matches_word(c, text)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise ParseError("ambiguous", tok.value_start, text,
                             [Candidate(c, node.choices[c], node) for c in hits])
        if node.arg is None:
            raise ParseError("invalid-value", tok.value_start, text, [_candidate(node)],
                             ValueTypeError("enum", text))
    assert node.arg is not None
    if node.arg.type is None:
        return text
    try:
        return node.arg.type.check(text)
    except ValueTypeError as e:
        raise ParseError("invalid-value", tok.value_start, text, [_candidate(node)], e) from None


@dataclass
class _KvState:
    node: Node
    words: list[str]
    args: dict[str, object]
    used: set[int]
    last: KvToken | None = None

    @property
    def in_options(self) -> bool:
        return self.node.handler is not None


def _walk(root: Node, toks: list[KvToken]) -> _KvState:
    st = _KvState(root, [], {}, set())
    for tok in toks:
        st.last = tok
        if not st.in_options:
            hits = _hits(list(st.node.children.values()), tok.key)
            if len(hits) > 1:
                raise ParseError("ambiguous", tok.start, tok.key, [_candidate(h) for h in hits])
            if not hits:
                kind = "unknown-command" if st.node is root else "expecting-command"
                raise ParseError(kind, tok.start, tok.key)
            _descend(st, hits[0], tok)
            continue
        options = [o for o in st.node.children.values()]
        hits = _hits(options, tok.key)
        if len(hits) > 1:
            raise ParseError("ambiguous", tok.start, tok.key, [_candidate(h) for h in hits])
        if not hits:
            raise ParseError("syntax", tok.start, tok.key)
        opt = hits[0]
        if opt.handler is not None and not st.used:
            # a command below a command (`SHow ISAkmp` / `SHow ISAkmp SA`): go down to it
            _descend(st, opt, tok)
            continue
        if id(opt) in st.used:
            raise ParseError("duplicate", tok.start, tok.key, [_candidate(opt)])
        st.used.add(id(opt))
        _take_value(st, opt, tok)
    return st


def _descend(st: _KvState, node: Node, tok: KvToken) -> None:
    """A command word: its value (if it takes one) is an argument, the word itself is not."""
    st.node = node
    st.words.append(node.word or "")
    if tok.value is not None or node.arg is not None or node.choices:
        _take_value(st, node, tok, command_word=True)
    st.used = set()


def _take_value(st: _KvState, node: Node, tok: KvToken, command_word: bool = False) -> None:
    takes = node.arg is not None or bool(node.choices)
    if tok.value is None:
        if takes and "optional-value" not in node.attrs:
            raise ParseError("missing-value", tok.end, tok.key, [_candidate(node)])
        if not command_word:
            st.args[node.word or ""] = True
        return
    if not takes:
        raise ParseError("unexpected-value", tok.value_start, tok.key, [_candidate(node)])
    st.args[node.word or ""] = _check_value(node, tok)


def parse_kv_command(root: Node, line: str | list[KvToken]) -> CommandMatch:
    """Parse one command line; raises ParseError (see the module docstring)."""
    toks = kv_tokenize(line) if isinstance(line, str) else line
    st = _walk(root, toks)
    end = toks[-1].end + 1 if toks else 0
    if not st.in_options:
        raise ParseError("expecting-command", end, toks[-1].key if toks else "",
                         [_candidate(c) for c in st.node.children.values()])
    for o in st.node.children.values():
        if o.mandatory and id(o) not in st.used:
            raise ParseError("missing-argument", end, o.word or "", [_candidate(o)])
    return CommandMatch(st.node, st.node.handler or "", st.args, st.words)


def kv_candidates(root: Node, line: str) -> list[Candidate]:
    """What may complete the last (partial) word of `line`, for Tab: keywords (parameters end
    in `=`) and choice values after `KEY=`."""
    try:
        toks = kv_tokenize(line)
    except ParseError:
        return []
    partial = not line or line[-1].isspace()
    done, last = (toks, None) if partial else (toks[:-1], toks[-1] if toks else None)
    try:
        st = _walk(root, done)
    except ParseError:
        return []
    if last is not None and last.value is not None:
        nodes = _hits(list(st.node.children.values()), last.key)
        if len(nodes) != 1 or not nodes[0].choices:
            return []
        return [Candidate(c, h, nodes[0]) for c, h in nodes[0].choices.items()
                if c.lower().startswith(last.value.lower())]
    pool = [c for c in st.node.children.values() if id(c) not in st.used]
    prefix = last.key.lower() if last is not None else ""
    return [_candidate(c) for c in pool if c.word is not None and c.word.lower().startswith(prefix)]
