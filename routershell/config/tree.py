"""A configuration tree: vendor-neutral data validated against a grammar schema.

Every node is one statement. Its identity among its siblings is `(name, key)`:

* container `system`              -> ("system", None)
* list entry `unit 0`             -> ("unit", "0")
* hidden-keyword list `ge-0/0/0`  -> ("<interface-name>", "ge-0/0/0")
* leaf `host-name r1`             -> ("host-name", None) with value "r1"
* leaf-list `proposals [a b]`     -> ("proposals", None) with values ["a", "b"]
* flag `clear-dont-fragment-bit`  -> ("clear-dont-fragment-bit", None)

A path is a tuple of those identities from the root. Order among siblings is insertion order;
renderers sort by schema order (and by key for lists the system orders).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..grammar.schema import Path, Step  # the grammar defines tree positions


@dataclass
class ConfigNode:
    name: str = ""
    key: str | None = None
    value: str | None = None
    values: list[str] = field(default_factory=list)
    children: dict[Step, ConfigNode] = field(default_factory=dict)
    inactive: bool = False
    annotation: str | None = None

    @property
    def ident(self) -> Step:
        return (self.name, self.key)

    def copy(self) -> ConfigNode:
        # Every commit copies the whole tree (90k nodes at 10k rule terms): the fields are set
        # directly rather than through the generated __init__ (keep in step with the fields).
        node = _new_node(ConfigNode)
        node.name = self.name
        node.key = self.key
        node.value = self.value
        node.values = self.values[:]
        node.children = {k: c.copy() for k, c in self.children.items()} if self.children else {}
        node.inactive = self.inactive
        node.annotation = self.annotation
        return node

    def get(self, path: Path) -> ConfigNode | None:
        node: ConfigNode | None = self
        for step in path:
            if node is None:
                return None
            node = node.children.get(step)
        return node

    def ensure(self, path: Path) -> ConfigNode:
        node = self
        for name, key in path:
            child = node.children.get((name, key))
            if child is None:
                child = ConfigNode(name, key)
                node.children[(name, key)] = child
            node = child
        return node

    def remove(self, path: Path) -> bool:
        """Delete the node at `path`; then prune empty non-presence ancestors is the caller's job."""
        if not path:
            self.children.clear()
            return True
        parent = self.get(path[:-1])
        if parent is None or path[-1] not in parent.children:
            return False
        del parent.children[path[-1]]
        return True

    def walk(self, prefix: Path = ()) -> Iterator[tuple[Path, ConfigNode]]:
        """Depth-first (path, node) pairs below this node, in insertion order."""
        for step, child in self.children.items():
            p = prefix + (step,)
            yield p, child
            yield from child.walk(p)

    def is_empty(self) -> bool:
        return not self.children and self.value is None and not self.values

    def move_child(self, step: Step, before: Step | None = None, after: Step | None = None) -> None:
        """Reorder a child (Junos `insert ... before|after ...`)."""
        child = self.children.pop(step)
        items = list(self.children.items())
        anchor = before if before is not None else after
        idx = next(i for i, (s, _) in enumerate(items) if s == anchor)
        if after is not None:
            idx += 1
        items.insert(idx, (step, child))
        self.children = dict(items)

    def rename_child(self, step: Step, new: Step) -> None:
        items = []
        for s, c in self.children.items():
            if s == step:
                c.name, c.key = new
                s = new
            items.append((s, c))
        self.children = dict(items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConfigNode):
            return NotImplemented
        return (
            self.ident == other.ident
            and self.value == other.value
            and self.values == other.values
            and self.inactive == other.inactive
            and self.annotation == other.annotation
            and list(self.children.items()) == list(other.children.items())
        )


_new_node = object.__new__


def new_root() -> ConfigNode:
    return ConfigNode()
