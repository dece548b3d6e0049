"""Vendor packages. Each one supplies a CliSession subclass and its wording."""

from __future__ import annotations


def session_class(platform: str):
    if platform == "junos":
        from .junos.session import JunosSession

        return JunosSession
    raise ValueError(f"unknown platform {platform!r}")
