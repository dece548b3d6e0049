"""The grammar cache holds data, never code: corrupt or planted files are rebuilt over."""

from __future__ import annotations

import pickle

from routershell.grammar import loader, treecache
from routershell.platforms.junos import types as _junos_types  # noqa: F401 — its value types


def _fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "routershell"


def test_round_trip_equals_a_fresh_parse(tmp_path, monkeypatch):
    cache = _fresh(tmp_path, monkeypatch)
    built = loader.load_tree("junos", "schema/*.schema")
    files = list(cache.glob("grammar-*.json"))
    assert len(files) == 1 and not list(cache.glob("*.pickle"))
    again = treecache.load(files[0])
    assert again == built
    svc = again.walk(("services", "ipsec-vpn"))
    assert svc is not None and svc.parent is not None and svc.path() == ("services", "ipsec-vpn")


def test_corrupt_or_planted_cache_is_rebuilt(tmp_path, monkeypatch):
    cache = _fresh(tmp_path, monkeypatch)
    good = loader.load_tree("junos", "operational.grammar")
    (path,) = cache.glob("grammar-*.json")
    # a pickle that would run code if unpickled, a truncated file, valid JSON of another shape
    planted = pickle.dumps(type("X", (), {"__reduce__": lambda self: (exec, ("raise SystemExit(9)",))})())
    for junk in (planted, b'{"format": 1, "tree": {"__t": "Node", "wo', b'{"format": 1, "tree": 3}',
                 b'{"format": 1, "tree": {"__t": "os.system", "word": "x"}}'):
        path.write_bytes(junk)
        assert loader.load_tree("junos", "operational.grammar") == good
        assert treecache.load(path) == good  # rewritten with the real tree


def test_a_cache_with_plausible_but_wrong_shapes_is_rebuilt(tmp_path, monkeypatch):
    """Review: `tree.children = 5` in the cache stopped startup with an AttributeError."""
    import json

    cache = _fresh(tmp_path, monkeypatch)
    good = loader.load_tree("junos", "operational.grammar")
    (path,) = cache.glob("grammar-*.json")
    data = json.loads(path.read_text())
    data["tree"]["children"] = 5
    path.write_text(json.dumps(data))
    assert loader.load_tree("junos", "operational.grammar") == good
    data = json.loads(path.read_text())
    data["tree"]["children"]["__dict"]["show"]["help"] = "edited"  # plausible types, wrong data
    path.write_text(json.dumps(data))
    assert loader.load_tree("junos", "operational.grammar") == good
