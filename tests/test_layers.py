"""The architecture's import and naming rules (docs/architecture.md), checked on the source.

- Nothing outside routershell/platforms/<vendor>/ names a vendor in code: no string literal
  (docstrings and comments are prose and may cite a vendor's document) and no import of
  `platforms.<vendor>`, except the registry's table of platform modules.
- runtime/ imports nothing from labs/, platforms/, app, cli/, shell/; cli/ and grammar/ import
  nothing from runtime/, labs/, platforms/; engine/ imports only the standard library,
  cryptography and itself.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "routershell"
VENDORS = re.compile(r"junos|juniper|junose|staros|cisco|alliedware|allied telesis", re.I)
ALLOWED_FILES = {"platforms/registry.py"}  # the table naming each platform's module


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        yield rel, ast.parse(path.read_text(encoding="utf-8"), rel)


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _imports(rel: str, tree: ast.AST) -> list[str]:
    """Absolute dotted names this module imports from routershell."""
    pkg = ["routershell", *rel.removesuffix(".py").split("/")][:-1]
    if rel.endswith("__init__.py"):
        pkg = ["routershell", *rel.split("/")[:-1]]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = pkg[: len(pkg) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            out.append(mod)
            out.extend(f"{mod}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
    return [m for m in out if m.startswith("routershell")]


def test_no_vendor_names_outside_platform_packages():
    offenders = []
    for rel, tree in _modules():
        if rel.startswith("platforms/") and rel.count("/") >= 2 or rel in ALLOWED_FILES:
            continue
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                if VENDORS.search(node.value):
                    offenders.append(f"{rel}:{node.lineno}: {node.value[:60]!r}")
        for mod in _imports(rel, tree):
            if re.match(r"routershell\.platforms\.(?!base|registry)[a-z]", mod):
                offenders.append(f"{rel}: imports {mod}")
    assert offenders == []


RULES = {
    "runtime/": ("labs", "platforms", "app", "cli", "shell", "server"),
    "cli/": ("runtime", "labs", "platforms", "app", "shell"),
    "grammar/": ("runtime", "labs", "platforms", "app", "cli", "shell", "config"),
    "engine/": ("runtime", "labs", "platforms", "app", "cli", "shell", "config", "grammar"),
    "config/": ("runtime", "labs", "platforms", "app", "shell", "cli", "engine"),
}


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports(layer):
    bad = []
    for rel, tree in _modules():
        if not rel.startswith(layer):
            continue
        for mod in _imports(rel, tree):
            top = mod.split(".")[1] if mod.count(".") else ""
            if top in RULES[layer]:
                bad.append(f"{rel}: {mod}")
    assert bad == []


def test_code_cites_documents_not_files_outside_the_repo():
    """Comments name the vendor document or RFC, not the project's private reference notes."""
    bad = [f"{rel}" for rel, _ in _modules()
           if re.search(r"(reference/|\b)(cli|stack|protocols|peers)\.md", (ROOT / rel).read_text(encoding="utf-8"))]
    assert bad == []
