"""TextFSM templates for the show commands routershell prints, with an ntc-templates style
`index`: point netmiko at this directory (`NET_TEXTFSM=$(python -c 'import
routershell.textfsm as t; print(t.TEMPLATES)')`) and `send_command(..., use_textfsm=True)`
parses the emulator's output. Templates are data; one file per platform and command.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES = str(Path(__file__).resolve().parent)


def template_dir() -> str:
    """The directory holding `index` and the templates (the value for NET_TEXTFSM)."""
    return TEMPLATES
