"""Commit checks for the Junos schema: what `commit check` refuses, with the statement path.

Every rule returns the store's CheckError(path, statement, message); messages are Junos wording.
"""

from __future__ import annotations

from ...config.store import CheckError
from ...config.tree import ConfigNode, Path
from ...grammar.schema import Kind, Node
from .grammar import path_words


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


class _Rules:
    """What the schema checks need of one schema node, worked out once per check: a 10k-term
    configuration visits the same few schema nodes tens of thousands of times."""

    __slots__ = ("ref", "what", "mandatory", "children")

    def __init__(self, sc: Node) -> None:
        self.ref = sc.ref
        self.what = (" ".join(self.ref[-2:]) if len(self.ref) > 1 else self.ref[-1]) if self.ref else ""
        # `Missing mandatory statement` is reported only under a block statement
        self.mandatory = [c.word for c in sc.all_children() if c.mandatory and c.word is not None] if sc.block else []
        self.children: dict[str, tuple[Node, _Rules] | None] = {}


def _schema_checks(tree: ConfigNode, schema: Node, errors: list[CheckError]) -> None:
    """References and mandatory statements of every active statement, depth first in
    configured order (the order the errors are reported in). The tree and schema do not change
    during the check, so the per-schema-node rules and the reference holders are worked out once."""
    holders: dict[tuple[str, ...], tuple[ConfigNode, str] | None] = {}

    def visit(cfg: ConfigNode, rules: _Rules, sc: Node, path: Path) -> None:
        known = rules.children
        for step, node in cfg.children.items():
            if node.inactive:
                continue
            name = step[0]
            entry = known.get(name, False)
            if entry is False:
                csc = sc.child(name)
                entry = known[name] = (csc, _Rules(csc)) if csc is not None else None
            if entry is None:
                continue
            csc, crules = entry
            ref = crules.ref
            if ref:
                if ref in holders:
                    found = holders[ref]
                else:
                    found = holders[ref] = _ref_holder(tree, schema, ref)
                for v in node.values or ([node.value] if node.value is not None else []):
                    target = found[0].children.get((found[1], v)) if found is not None else None
                    if target is None or target.inactive:
                        errors.append(CheckError(path, f"{csc.word} {v}", f"Referenced {crules.what} '{v}' is not defined"))
            if crules.mandatory:
                here = path + (step,)
                for word in crules.mandatory:
                    if not any(s[0] == word for s in node.children):
                        words = " ".join(path_words(here, schema))
                        errors.append(CheckError(here, word, f"Missing mandatory statement: '{word}'" if words else word))
            if node.children:
                visit(node, crules, csc, path + (step,))

    visit(tree, _Rules(schema), schema, ())


def check_config(tree: ConfigNode, schema: Node, model: str = "") -> list[CheckError]:
    """Schema checks (references, mandatory statements), then the feature checks; `model` is the
    device model (some statements are refused on J-series)."""
    errors: list[CheckError] = []
    _schema_checks(tree, schema, errors)
    from .ipsec.checks import check as ipsec_check  # imports CheckError from here
    from .security.checks import check as es_pic_check

    errors += ipsec_check(tree, model)
    errors += es_pic_check(tree)
    return errors
