"""The node model that grammar files compile to.

One model serves both trees a platform declares:

* the operational (and configuration-mode) **command tree**: groups of keywords, commands that name
  a handler (`=> show-version`), and the options a command takes in any order;
* the **configuration schema**: containers, keyed lists, leaves with typed values, flags,
  leaf-lists, enumerations, with attributes such as `@secret`, `@ref(...)`, `@ordered`.

Both are plain data; parsing, `?`, Tab and commit-time checks all walk the same nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .types import ValueType

# A position in a configuration tree: (statement word, key or None) per level. The grammar
# defines it (parse results carry paths); config/tree.py builds trees addressed by it.
Step = tuple[str, "str | None"]
Path = tuple[Step, ...]

# Argument types that are not single-token values: the parser hands them to a sub-walker.
SPECIAL_TYPES = frozenset({"config-path", "config-statement", "op-command", "rest"})


class Kind(Enum):
    CONTAINER = "container"  # keyword + block
    LIST = "list"  # keyword <key> + block (or hidden keyword: <key> + block)
    LEAF = "leaf"  # keyword <value>;
    LEAF_LIST = "leaf-list"  # keyword [<value>];
    ENUM = "enum"  # keyword (a | b);
    FLAG = "flag"  # keyword;


@dataclass(frozen=True)
class Arg:
    """`<name:type>` — `name` is what help shows as `<name>`."""

    name: str
    type: ValueType | None  # None for SPECIAL_TYPES
    special: str | None = None


@dataclass
class Node:
    word: str | None  # keyword; None for a positional (hidden-keyword) node
    help: str = ""
    arg: Arg | None = None
    choices: dict[str, str] = field(default_factory=dict)  # enum value -> help
    leaf_list: bool = False
    block: bool = False  # declared with { }
    handler: str | None = None  # command tree: the handler this node runs
    attrs: dict[str, str] = field(default_factory=dict)
    children: dict[str, Node] = field(default_factory=dict)  # keyword children, in order
    positionals: list[Node] = field(default_factory=list)  # <arg> children, in order
    parent: Node | None = field(default=None, repr=False, compare=False)

    # ---- schema view -------------------------------------------------------------------
    @property
    def kind(self) -> Kind:
        if self.leaf_list:
            return Kind.LEAF_LIST
        if self.choices:
            return Kind.ENUM
        if self.arg is not None:
            return Kind.LIST if (self.block or self.word is None) else Kind.LEAF
        return Kind.CONTAINER if self.block else Kind.FLAG

    @property
    def name(self) -> str:
        """Identifier of the statement in a configuration tree (hidden lists use the arg name)."""
        return self.word if self.word is not None else f"<{self.arg.name}>"  # type: ignore[union-attr]

    @property
    def secret(self) -> bool:
        return "secret" in self.attrs

    @property
    def ordered(self) -> bool:
        return "ordered" in self.attrs

    @property
    def oneliner(self) -> bool:
        return "oneliner" in self.attrs

    @property
    def ref(self) -> tuple[str, ...] | None:
        r = self.attrs.get("ref")
        return tuple(r.split()) if r else None

    @property
    def choice_group(self) -> str | None:
        return self.attrs.get("choice")

    @property
    def mandatory(self) -> bool:
        return "mandatory" in self.attrs

    @property
    def default(self) -> str | None:
        return self.attrs.get("default")

    def path(self) -> tuple[str, ...]:
        out: list[str] = []
        n: Node | None = self
        while n is not None and n.parent is not None:
            out.append(n.name)
            n = n.parent
        return tuple(reversed(out))

    def child(self, name: str) -> Node | None:
        """Child by statement name (`unit`, or `<interface-name>` for a hidden list)."""
        if name in self.children:
            return self.children[name]
        for p in self.positionals:
            if p.name == name:
                return p
        return None

    def all_children(self) -> list[Node]:
        return list(self.children.values()) + self.positionals

    def matches_prefix(self, token: str) -> list[Node]:
        """Keyword children whose word starts with `token` (exact match wins alone)."""
        if token in self.children:
            return [self.children[token]]
        return [n for w, n in self.children.items() if w.startswith(token)]

    def walk(self, path: tuple[str, ...]) -> Node | None:
        """Follow statement names (no keys) from this node."""
        n: Node | None = self
        for name in path:
            n = n.child(name) if n else None
        return n


def link_parents(root: Node) -> Node:
    stack = [root]
    while stack:
        n = stack.pop()
        for c in n.all_children():
            c.parent = n
            stack.append(c)
    return root
