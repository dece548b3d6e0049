"""Commit checks for the Junos schema: what `commit check` refuses, with the statement path.

Every rule returns the store's CheckError(path, statement, message); messages are Junos wording.
"""

from __future__ import annotations

from ...config.store import CheckError
from ...config.tree import ConfigNode, Path
from ...grammar.schema import Kind, Node
from .grammar import path_words


def _walk(cfg: ConfigNode, sc: Node, path: Path):
    for step, child in cfg.children.items():
        if child.inactive:
            continue
        csc = sc.child(step[0])
        if csc is None:
            continue
        yield path, step, child, csc
        yield from _walk(child, csc, path + (step,))


def _ref_exists(root: ConfigNode, schema: Node, ref: tuple[str, ...], value: str) -> bool:
    """@ref(services ipsec-vpn ike proposal): a list entry with key `value` under that path."""
    node: ConfigNode | None = root
    for word in ref[:-1]:
        node = node.children.get((word, None)) if node is not None else None
        if node is None or node.inactive:
            return False
    if node is None:
        return False
    entry = node.children.get((ref[-1], value))
    if entry is None:  # `routing-instances vr1`: the list under the container has no keyword
        sc = schema.walk(ref)
        if sc is not None and sc.kind is Kind.CONTAINER and sc.positionals:
            holder = node.children.get((ref[-1], None))
            entry = holder.children.get((sc.positionals[0].name, value)) if holder is not None else None
    return entry is not None and not entry.inactive


def check_config(tree: ConfigNode, schema: Node, model: str = "") -> list[CheckError]:
    """Schema checks (references, mandatory statements), then the feature checks; `model` is the
    device model (some statements are refused on J-series)."""
    errors: list[CheckError] = []
    for parent_path, step, node, sc in _walk(tree, schema, ()):
        ref = sc.ref
        if ref:
            values = node.values or ([node.value] if node.value is not None else [])
            for v in values:
                if not _ref_exists(tree, schema, ref, v):
                    what = " ".join(ref[-2:]) if len(ref) > 1 else ref[-1]
                    errors.append(CheckError(parent_path, f"{sc.word} {v}", f"Referenced {what} '{v}' is not defined"))
        for c in sc.all_children():
            if c.mandatory and c.word is not None and not any(s[0] == c.name for s in node.children):
                if sc.block:
                    words = " ".join(path_words(parent_path + (step,), schema))
                    errors.append(CheckError(parent_path + (step,), c.word, f"Missing mandatory statement: '{c.word}'" if words else c.word))
    from .ipsec.checks import check as ipsec_check  # imports CheckError from here

    errors += ipsec_check(tree, model)
    return errors
