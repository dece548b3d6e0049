"""The README's "Drive it from netmiko, scrapli, PyEZ" snippets run as written (ports mapped to
the ephemeral ones of a served default lab)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).parents[2] / "README.md"


def _snippets() -> list[str]:
    text = README.read_text()
    section = text[text.index("## Drive it from netmiko, scrapli, PyEZ"):
                   text.index("## The lab: clock, peers, faults, traffic")]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_there_are_four_snippets():
    assert len(_snippets()) == 4


@pytest.mark.parametrize("index", range(4))
def test_readme_snippet_runs(fresh_netconf, index):
    code = _snippets()[index]
    code = (code.replace("port=2222", f"port={fresh_netconf.port('ssh')}")
                .replace("port=8300", f"port={fresh_netconf.port('netconf')}"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"README snippet {index}", "exec"), {})
    text = out.getvalue()
    assert text.strip()
    assert "198.51.100.1" in text or "inet.0" in text or "M7I" in text or "m7i" in text
