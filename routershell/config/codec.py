"""A neutral, schema-free text form of a configuration tree (JSON). The store uses it when the
platform supplies no format of its own; platforms normally pass their device's text form."""

from __future__ import annotations

import json
from typing import Any

from .tree import ConfigNode


class CodecError(ValueError):
    """The text is not a configuration tree in this format."""


def _to_obj(node: ConfigNode) -> dict[str, Any]:
    obj: dict[str, Any] = {"name": node.name}
    if node.key is not None:
        obj["key"] = node.key
    if node.value is not None:
        obj["value"] = node.value
    if node.values:
        obj["values"] = list(node.values)
    if node.inactive:
        obj["inactive"] = True
    if node.annotation is not None:
        obj["annotation"] = node.annotation
    if node.children:
        obj["children"] = [_to_obj(c) for c in node.children.values()]
    return obj


def _from_obj(obj: Any) -> ConfigNode:
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        raise CodecError("node must be an object with a name")
    node = ConfigNode(obj["name"], obj.get("key"), obj.get("value"), list(obj.get("values", [])))
    node.inactive = bool(obj.get("inactive", False))
    node.annotation = obj.get("annotation")
    for c in obj.get("children", []):
        child = _from_obj(c)
        node.children[child.ident] = child
    return node


def to_json(tree: ConfigNode) -> str:
    return json.dumps(_to_obj(tree), indent=1) + "\n"


def from_json(text: str) -> ConfigNode:
    try:
        return _from_obj(json.loads(text))
    except (json.JSONDecodeError, TypeError) as exc:
        raise CodecError(str(exc)) from None
