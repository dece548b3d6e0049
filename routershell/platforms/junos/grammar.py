"""The Junos command trees and configuration schema, loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ...config.tree import Path
from ...grammar.loader import load_tree
from ...grammar.schema import Kind, Node
from . import types as _types  # noqa: F401 — registers the Junos value types before loading


@dataclass(frozen=True)
class JunosGrammar:
    operational: Node
    configuration: Node
    schema: Node


@cache
def grammar() -> JunosGrammar:
    return JunosGrammar(
        load_tree("junos", "operational*.grammar"),
        load_tree("junos", "configuration.grammar"),
        load_tree("junos", "schema/*.schema"),
    )


def path_words(path: Path, schema: Node) -> list[str]:
    """A tree path as the words a user types: `interfaces ge-0/0/0 unit 0`."""
    words: list[str] = []
    node: Node | None = schema
    for name, key in path:
        node = node.child(name) if node else None
        if node is not None and node.word is None:
            words.append(key or "")
        else:
            words.append(name)
            if key is not None:
                words.append(key)
    return words


def edit_banner(path: Path, schema: Node) -> str:
    words = path_words(path, schema)
    return "[edit" + ("" if not words else " " + " ".join(words)) + "]"


def is_editable(node: Node) -> bool:
    return node.kind in (Kind.CONTAINER, Kind.LIST)
