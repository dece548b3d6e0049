"""JunosE wording: parse errors with the caret, `?` lists, fixed messages and the log lines of
the ISM events (the JunosE IPSec Service Module documentation; the layouts are IOS-like, [U] where the reference is)."""

from __future__ import annotations

from collections.abc import Mapping

from ...cli.grammar_session import MessageWording
from ...grammar.parser import Candidate, ParseError
from .ism import IsmEvent

INVALID = "% Invalid input detected at '^' marker.\n"
INCOMPLETE = "% Incomplete command.\n"
AMBIGUOUS = "% Ambiguous command at '^' marker.\n"
UNRECOGNIZED = "% Unrecognized command\n"
PAGER_PROMPT = " --More-- "

# `| begin`, `| include`, `| exclude` as on E-series routers (+ count, no-more)
PIPE_NAMES: Mapping[str, str] = {"begin": "find", "include": "match", "exclude": "except",
                                 "count": "count", "no-more": "no-more"}
REGEX_PIPES = frozenset({"begin", "include", "exclude"})  # the regex runs to the end of the line
PIPE_HELP = {
    "begin": "Begin with the line that matches",
    "count": "Count the lines",
    "exclude": "Exclude lines that match",
    "include": "Include lines that match",
    "no-more": "Do not paginate the output",
}


def error_text(e: ParseError, prompt_width: int) -> str:
    caret = " " * (prompt_width + e.col) + "^\n"
    if e.kind in ("missing-argument", "expecting-command") and not e.token:
        return INCOMPLETE
    if e.kind == "ambiguous":
        return caret + AMBIGUOUS
    return caret + INVALID


def completions(cands: list[Candidate], executable: bool, pipe: bool) -> str:
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for c in [c for c in cands if c.is_value] + sorted((c for c in cands if not c.is_value),
                                                       key=lambda c: c.word):
        word = _value_word(c) if c.is_value else c.word
        if word in seen:
            continue
        seen.add(word)
        rows.append((word, c.help))
    if pipe:
        rows.append(("|", "Filter the output"))
    if executable:
        rows.append(("<cr>", ""))
    width = max([len(w) for w, _ in rows] + [16])
    return "".join(f"  {w:<{width}}  {h}".rstrip() + "\n" for w, h in rows)


def _value_word(c: Candidate) -> str:
    node = c.node
    t = node.arg.type if node is not None and node.arg is not None else None
    if t is not None and t.base == "int" and t.lo is not None:
        return f"<{t.lo}-{t.hi}>"
    if t is not None and t.base == "enum":
        return f"<{c.word[1:-1]}>"
    if t is not None and t.base == "ipv4":
        return "<A.B.C.D>"
    return c.word


def no_completions(prompt_width: int, col: int) -> str:
    return UNRECOGNIZED


def pipe_candidates(names: Mapping[str, str]) -> list[Candidate]:
    return [Candidate(n, PIPE_HELP.get(n, ""), None) for n in sorted(names)]


# cli.grammar_session.Wording for JunosE; a `% …` line is a refusal (scripts then exit non-zero)
WORDING = MessageWording(error_text, completions, no_completions, pipe_candidates,
                         "% Internal error\n", ("% ",), PAGER_PROMPT)

# ---- fixed messages of handlers --------------------------------------------------------------

NOT_IPSEC = "% Invalid interface: only tunnel ipsec:NAME interfaces are supported\n"
TOO_MANY_RULES = "% Maximum number of IKE policy rules (10) reached\n"
TOO_MANY_TRANSFORMS = "% A transform set takes at most 6 transforms\n"
NO_SUCH_INTERFACE = "% Interface {name} not found\n"
EMPTY_SLOT = "% Slot {slot} is empty\n"
NO_STARTUP = "% No startup configuration saved\n"
COPY_LINE_FAILED = "% startup-config line {line}: {err}\n"
NO_SUCH_TUNNEL = "% IPsec tunnel {name} not found\n"
NO_SUCH_TRANSFORM_SET = "% Transform set {name} not found\n"
NO_SUCH_RULE = "% IKE policy rule {n} not found\n"
NO_SUCH_VR = "% Virtual router {name} not found\n"
NO_SUCH_SLOT = "% No module in slot {slot}\n"
OTHER_VR = "% Interface {name} belongs to virtual router {vr}\n"
VR_IN_USE = "% Virtual router {name} is in use\n"
TS_IN_USE = "% Transform set {name} is used by interface {iface}\n"
SAVED = "Configuration saved to startup-config\n"
SAVE_FAILED = "% Could not save the configuration: {err}\n"


# ---- log lines (show log data) ---------------------------------------------------------------

def log_line(ev: IsmEvent, at: str) -> str | None:
    """The `show log data` text of an ISM event (without its timestamp), or None."""
    iface = ev.tunnel
    k = ev.kind
    if k == "assigned":
        return f"NOTICE ipsecTunnel: {iface} assigned to ISM in slot {ev.module}"
    if k == "reassigned":
        return f"NOTICE ipsecTunnel: {iface} reassigned to ISM in slot {ev.module}"
    if k == "not-present":
        return f"WARNING ipsecTunnel: {iface} is not present (ISM in slot {ev.detail} unavailable)"
    if k == "rekey":
        return f"INFO ipsecTunnel: {iface} rekeying on ISM in slot {ev.module}"
    if k == "rekey-scheduled":
        return f"INFO ipsecTunnel: {iface} rekey scheduled at {at}"
    if k == "rekey-failed":
        nxt = f", next attempt at {at}" if ev.when is not None else ""
        return f"WARNING ipsecTunnel: {iface} rekey failed ({ev.detail}){nxt}"
    if k == "up":
        by = " (negotiated by the peer)" if ev.detail == "peer" else ""
        return f"NOTICE ipsecTunnel: {iface} is up{by}"
    if k == "down":
        return f"WARNING ipsecTunnel: {iface} is down ({ev.detail})"
    if k == "backup":
        return f"WARNING ipsecTunnel: {iface} switching to backup destination {ev.detail}"
    if k == "primary":
        return f"WARNING ipsecTunnel: {iface} switching back to destination {ev.detail}"
    if k == "ism-down":
        return f"ERROR system: ISM in slot {ev.module} is unavailable"
    if k == "ism-up":
        what = "inserted" if ev.detail == "inserted" else "available"
        return f"NOTICE system: ISM in slot {ev.module} is {what}"
    if k == "capacity-short":
        return "WARNING ipsec: the installed ISMs cannot absorb the tunnels of one failed ISM"
    if k == "capacity-ok":
        return "NOTICE ipsec: the installed ISMs can absorb the tunnels of one failed ISM"
    return None
