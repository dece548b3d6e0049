"""Read grammar files (commands/<platform>/*.grammar, *.schema) into Node trees.

The syntax reads like a vendor's statement summary, one statement per line or block:

    # comment
    system "System parameters" {
        host-name <host-name:name(1..255)> "Hostname for this router";
        login "Configure user access" {
            user <user-name:name> "Username" { class <class:name> "Login class"; }
        }
    }
    <interface-name:interface> "Interface name" { ... }     # list with no keyword (Junos interfaces)
    mode (main "Main mode" | aggressive "Aggressive mode") "Define the IKE mode";
    proposals [<name:name>] "Proposals" @ref(services ipsec-vpn ike proposal);
    version "Show software version" => show-version { brief "Display brief output"; }

Statement := WORD? ARG? CHOICES? LEAFLIST? HELP? ATTR* ("=>" HANDLER)? (";" | "{" Statement* "}")
Attributes: @secret @ordered @oneliner @flat @mandatory @ref(path words) @choice(group)
@default(value) @hidden.  Top-level statements from several files of one tree are merged by word.

Command languages of KEYWORD=value parameters are the same files read by grammar/keyvalue.py:
keywords spelled with their minimum abbreviation in capitals (`CREate IPSec POLicy`), a command
word's argument written `WORD=value`, `@optional-value` for `WORD[=value]`.

Compiled trees are cached as JSON data (treecache.py, never pickles) keyed by the files' content
and the compiler's own source, so startup skips parsing.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import re
import sys
from pathlib import Path

from . import treecache
from .schema import SPECIAL_TYPES, Arg, Node, link_parents
from .types import parse_type

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<comment>\#[^\n]*)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<arg><[^>]*>)
      | (?P<attr>@[a-z\-]+(?:\([^)]*\))?)
      | (?P<arrow>=>)
      | (?P<punct>[{};()\[\]|])
      | (?P<word>[A-Za-z0-9_.:/+*\-$][A-Za-z0-9_.:/+*\-$]*)
    )""",
    re.VERBOSE,
)


class GrammarError(Exception):
    pass


def _tokens(text: str, origin: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    pos, line = 0, 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise GrammarError(f"{origin}:{line}: cannot read {text[pos:pos + 20]!r}")
        line += text.count("\n", pos, m.start(m.lastgroup or 0))
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind != "comment":
            out.append((kind, value, line))
        line += value.count("\n")
        pos = m.end()
    return out


def _parse_arg(spec: str, origin: str, line: int) -> Arg:
    inner = spec[1:-1]
    name, _, tspec = inner.partition(":")
    tspec = tspec or "string"
    if tspec in SPECIAL_TYPES:
        return Arg(name, None, tspec)
    try:
        return Arg(name, parse_type(tspec))
    except ValueError as e:
        raise GrammarError(f"{origin}:{line}: {e}") from None


class _Reader:
    def __init__(self, text: str, origin: str) -> None:
        self.toks = _tokens(text, origin)
        self.i = 0
        self.origin = origin

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self) -> tuple[str, str, int]:
        t = self.peek()
        if t is None:
            raise GrammarError(f"{self.origin}: unexpected end of file")
        self.i += 1
        return t

    def fail(self, msg: str) -> GrammarError:
        t = self.peek()
        return GrammarError(f"{self.origin}:{t[2] if t else '?'}: {msg}")

    def statements(self, until_close: bool) -> list[Node]:
        out = []
        while True:
            t = self.peek()
            if t is None:
                if until_close:
                    raise self.fail("missing '}'")
                return out
            if t[1] == "}" and t[0] == "punct":
                if not until_close:
                    raise self.fail("unexpected '}'")
                self.i += 1
                return out
            out.append(self.statement())

    def statement(self) -> Node:
        node = Node(word=None)
        kind, val, line = self.peek()  # type: ignore[misc]
        if kind == "word":
            node.word = val
            self.i += 1
        t = self.peek()
        if t and t[0] == "arg":
            node.arg = _parse_arg(t[1], self.origin, t[2])
            self.i += 1
        t = self.peek()
        if t and t[1] == "(" and t[0] == "punct":
            self.i += 1
            while True:
                k, v, ln = self.next()
                if k != "word":
                    raise GrammarError(f"{self.origin}:{ln}: enum value expected, got {v!r}")
                help_text = ""
                if self.peek() and self.peek()[0] == "string":  # type: ignore[index]
                    help_text = _unquote(self.next()[1])
                node.choices[v] = help_text
                k, v, ln = self.next()
                if v == ")":
                    break
                if v != "|":
                    raise GrammarError(f"{self.origin}:{ln}: '|' or ')' expected, got {v!r}")
        t = self.peek()
        if t and t[1] == "[" and t[0] == "punct":
            self.i += 1
            k, v, ln = self.next()
            if k != "arg":
                raise GrammarError(f"{self.origin}:{ln}: <arg> expected in leaf-list")
            node.arg = _parse_arg(v, self.origin, ln)
            node.leaf_list = True
            if self.next()[1] != "]":
                raise self.fail("']' expected")
        t = self.peek()
        if t and t[0] == "string":
            node.help = _unquote(t[1])
            self.i += 1
        while self.peek() and self.peek()[0] == "attr":  # type: ignore[index]
            a = self.next()[1][1:]
            name, _, rest = a.partition("(")
            node.attrs[name] = rest[:-1] if rest else ""
        t = self.peek()
        if t and t[0] == "arrow":
            self.i += 1
            node.handler = self.next()[1]
        k, v, ln = self.next()
        if v == "{":
            node.block = True
            for child in self.statements(until_close=True):
                _add_child(node, child, self.origin, ln)
        elif v != ";":
            raise GrammarError(f"{self.origin}:{ln}: ';' or '{{' expected after {node.word or node.arg}, got {v!r}")
        if node.word is None and node.arg is None and node.choices:
            node.arg = Arg(node.attrs.get("name", "value"), parse_type("enum(" + "|".join(node.choices) + ")"))
        if node.word is None and node.arg is None:
            raise GrammarError(f"{self.origin}:{line}: statement without keyword or argument")
        return node


def _unquote(s: str) -> str:
    return s[1:-1].replace('\\"', '"').replace("\\\\", "\\")


def _add_child(parent: Node, child: Node, origin: str, line: int) -> None:
    if child.word is None:
        parent.positionals.append(child)
        return
    existing = parent.children.get(child.word)
    if existing is None:
        parent.children[child.word] = child
        return
    if not (existing.block and child.block):
        raise GrammarError(f"{origin}:{line}: duplicate statement {child.word!r}")
    # the same container declared in several files: merge
    existing.help = existing.help or child.help
    existing.attrs.update(child.attrs)
    for c in child.all_children():
        _add_child(existing, c, origin, line)


def parse_grammar(text: str, origin: str = "<grammar>", root: Node | None = None) -> Node:
    root = root or Node(word=None, block=True)
    for st in _Reader(text, origin).statements(until_close=False):
        _add_child(root, st, origin, 0)
    return root


def commands_root() -> Path:
    """The grammar data beside the code that runs: a source checkout (or worktree) keeps it in
    `commands/` next to the package, so an editable install never reads another checkout's
    grammar; an installed wheel has it as the package data `routershell.commands`."""
    here = Path(__file__).resolve().parent.parent  # routershell/
    source = here.parent / "commands"
    if (source / "__init__.py").is_file() and not (here / "commands").is_dir():
        return source
    return Path(str(importlib.resources.files("routershell.commands")))


def grammar_dir(platform: str) -> Path:
    return commands_root() / platform


def _code_digest() -> bytes:
    """The grammar compiler's own source: a change to how trees are built invalidates the cache."""
    h = hashlib.sha256()
    for mod in sorted(Path(__file__).parent.glob("*.py")):
        try:
            h.update(mod.name.encode() + mod.read_bytes())
        except OSError:
            pass
    return h.digest()


def _cache_path(digest: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "routershell" / f"grammar-{digest}.json"


def load_tree(platform: str, pattern: str) -> Node:
    """Load and merge every file matching `pattern` (e.g. "schema/*.schema") of a platform."""
    files = sorted(grammar_dir(platform).glob(pattern))
    if not files:
        raise GrammarError(f"no grammar files {platform}/{pattern}")
    texts = [(f.name, f.read_text(encoding="utf-8")) for f in files]
    h = hashlib.sha256(f"{sys.version_info[:2]}|{platform}|{pattern}".encode())
    h.update(_code_digest())
    for name, text in texts:
        h.update(name.encode() + b"\0" + text.encode() + b"\0")
    cache = _cache_path(h.hexdigest()[:24])
    try:
        return treecache.load(cache)
    except (OSError, treecache.CacheError):
        pass  # absent, corrupt or foreign: rebuild from the grammar files
    root = Node(word=None, block=True)
    for name, text in texts:
        parse_grammar(text, f"{platform}/{name}", root)
    link_parents(root)
    try:
        treecache.dump(root, cache)
    except (OSError, treecache.CacheError):
        pass  # a read-only home only costs startup time
    return root
