"""The runtime uses trio's public API only (issue 10): MockClock and wait_all_tasks_blocked come
from trio.testing (imported when first needed), nothing from trio._core."""

from __future__ import annotations

import ast
from pathlib import Path

import routershell


def test_no_private_trio_imports_in_the_package():
    root = Path(routershell.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n == "trio._core" or n.startswith("trio._") for n in names):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []
