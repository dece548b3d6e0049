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


def _ref_holder(root: ConfigNode, schema: Node, ref: tuple[str, ...]) -> tuple[ConfigNode, str] | None:
    """The node holding the entries an @ref(path) names, and their statement name."""
    node: ConfigNode | None = root
    for word in ref[:-1]:
        node = node.children.get((word, None)) if node is not None else None
        if node is None or node.inactive:
            return None
    if node is None:
        return None
    sc = schema.walk(ref)
    if sc is not None and sc.kind is Kind.CONTAINER and sc.positionals:
        # `routing-instances vr1`: the list under the container has no keyword
        holder = node.children.get((ref[-1], None))
        if holder is None or holder.inactive:
            return None
        return holder, sc.positionals[0].name
    return node, ref[-1]


def ref_keys(root: ConfigNode, schema: Node, ref: tuple[str, ...]) -> list[str]:
    """The active keys an @ref(path) may name: `@ref(services ipsec-vpn ike policy)` -> the
    configured IKE policies (what commit check accepts and `?` offers)."""
    found = _ref_holder(root, schema, ref)
    if found is None:
        return []
    node, name = found
    return [key for (n, key), c in node.children.items() if n == name and key is not None and not c.inactive]


def _ref_exists(root: ConfigNode, schema: Node, ref: tuple[str, ...], value: str) -> bool:
    found = _ref_holder(root, schema, ref)
    entry = found[0].children.get((found[1], value)) if found is not None else None
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
    from .security.checks import check as es_pic_check

    errors += ipsec_check(tree, model)
    errors += es_pic_check(tree)
    return errors
