"""Compiled grammar trees on disk as plain data (JSON), never as pickles.

A cache file is only ever data: loading it builds Node/Arg/ValueType objects field by field and
nothing else, so a corrupt or planted file can at worst be refused (the caller then rebuilds the
tree from the grammar files), never run code. Dataclass fields are walked generically so a field
added to Node later is cached without touching this module.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from .schema import Arg, Node, link_parents
from .types import ValueType

_CLASSES: dict[str, type] = {"Node": Node, "Arg": Arg, "ValueType": ValueType}
_SKIP = {"parent"}  # rebuilt by link_parents
FORMAT = 2


class CacheError(ValueError):
    pass


def _encode(obj: Any) -> Any:
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, tuple):
        return {"__tuple": [_encode(x) for x in obj]}
    if isinstance(obj, list):
        return [_encode(x) for x in obj]
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise CacheError("non-string key")
        return {"__dict": {k: _encode(v) for k, v in obj.items()}}
    name = type(obj).__name__
    if _CLASSES.get(name) is type(obj):
        return {"__t": name, **{f.name: _encode(getattr(obj, f.name))
                                for f in dataclasses.fields(obj) if f.name not in _SKIP}}
    raise CacheError(f"cannot cache {name}")


def _decode(data: Any) -> Any:
    if data is None or isinstance(data, (str, int, float, bool)):
        return data
    if isinstance(data, list):
        return [_decode(x) for x in data]
    if not isinstance(data, dict):
        raise CacheError("bad value")
    if "__tuple" in data:
        return tuple(_decode(x) for x in data["__tuple"])
    if "__dict" in data:
        d = data["__dict"]
        if not isinstance(d, dict):
            raise CacheError("bad dict")
        return {str(k): _decode(v) for k, v in d.items()}
    cls = _CLASSES.get(data.get("__t"))  # type: ignore[arg-type]
    if cls is None:
        raise CacheError("unknown object")
    names = {f.name for f in dataclasses.fields(cls)} - _SKIP
    kwargs = {k: _decode(v) for k, v in data.items() if k != "__t"}
    if not set(kwargs) <= names:
        raise CacheError("unknown field")
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise CacheError(str(e)) from None


def dump(root: Node, path: Path) -> None:
    """Write the tree atomically (a unique temporary in the same directory, then rename)."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        tree = _encode(root)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"format": FORMAT, "digest": _digest(tree), "tree": tree}, fh, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load(path: Path) -> Node:
    """The cached tree, or CacheError/OSError for anything that is not one."""
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except (ValueError, RecursionError) as e:
            raise CacheError(str(e)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CacheError("not a grammar cache")
    if data.get("digest") != _digest(data.get("tree")):
        raise CacheError("damaged")  # a truncated or edited file: rebuild it
    try:
        root = _decode(data.get("tree"))
        _check(root)
    except RecursionError:
        raise CacheError("too deep") from None
    return link_parents(root)


def _digest(tree: Any) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(tree, separators=(",", ":")).encode()).hexdigest()


def _check(node: Any) -> None:
    """The shapes the parser relies on (so a bad file fails here, not at the first `?`)."""
    if not isinstance(node, Node):
        raise CacheError("not a tree")
    if not (isinstance(node.children, dict) and isinstance(node.positionals, list)
            and isinstance(node.choices, dict) and isinstance(node.attrs, dict)
            and (node.word is None or isinstance(node.word, str))
            and (node.arg is None or isinstance(node.arg, Arg))):
        raise CacheError("bad node")
    if node.arg is not None and not (node.arg.type is None or isinstance(node.arg.type, ValueType)):
        raise CacheError("bad argument")
    for child in list(node.children.values()) + node.positionals:
        _check(child)
