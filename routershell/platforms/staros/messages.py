"""StarOS wording: one-line `Failure:` errors, syntax errors with the position marked, help
lists. Layouts are our reconstruction (the StarOS 'Redundant IPSec Tunnel Fail-over' chapter marks them [U]); docs/staros.md
lists them."""

from __future__ import annotations

from ...cli.grammar_session import MessageWording
from ...grammar.parser import Candidate, ParseError

INVALID_SYNTAX = "Invalid syntax."
INCOMPLETE = "Incomplete command."
AMBIGUOUS = "Ambiguous command."
GROUP_LIMIT = "Failure: Maximum of 32 crypto groups per context already configured"
POOL_ON_5500 = "Failure: match ip pool is not supported within a crypto group on the ASR 5500"
LOCAL_CONTEXT = "Failure: The local context cannot be removed"
SNMP_VERSION = "Failure: Only SNMP version 2 (v2c) notifications are supported"
BAD_POOL = "Failure: Invalid IP pool address and mask"
BAD_MASK = "Failure: Invalid IP address and mask"
TSET_LIMIT = "Failure: A crypto map has at most 4 transform sets"
NULL_NULL = "Failure: A transform set needs encryption or an HMAC"
BAD_ENCRYPTED = "Failure: Invalid encrypted key"
BAD_ENCRYPTED_PASSWORD = "Failure: Invalid encrypted password"
PASSWORD_LENGTH = "Failure: The password must be 1 to 63 characters"
PASSWORD_NEEDED = "Failure: Specify a password, or nopassword for SSH public-key logins only"
PASSWORD_AND_NOPASSWORD = "Failure: password and nopassword cannot be used together"
NOT_IN_CONTEXT = "Failure: No crypto groups configured in this context"


def not_found(kind: str, name: str) -> str:
    return f"Failure: {kind} {name} does not exist"


def no_context(name: str) -> str:
    return f"Failure: context {name} does not exist"


def group_in_use(group: str, map_name: str) -> str:
    return f"Failure: crypto group {group} is in use by crypto map {map_name}"


def pool_in_use(pool: str, group: str) -> str:
    return f"Failure: IP pool {pool} is in use by crypto group {group}"


def role_taken(group: str, role: str, holder: str) -> str:
    return f"Failure: crypto group {group} already has a {role} crypto map ({holder})"


def switchover_failed(group: str, why: str) -> str:
    return f"Failure: crypto group {group}: {why}"


def save_failed(why: str) -> str:
    return f"Failure: Unable to save configuration: {why}"


def _value_message(e: ParseError) -> str:
    ve = e.value_error
    if ve is not None and ve.kind == "range":
        rng = ve.detail.partition(" ")[2].strip("()")
        lo, _, hi = rng.partition("..")
        return f"Invalid value: must be in the range {lo} to {hi}."
    if ve is not None and ve.kind == "address":
        return "Invalid IP address."
    if ve is not None and ve.kind == "length":
        return "Invalid value: too long."
    return INVALID_SYNTAX


def marked(text: str, prompt_width: int, col: int) -> str:
    """The caret under column `col` of the typed line, then the message."""
    return " " * (prompt_width + col) + "^\n" + text + "\n"


def error_text(e: ParseError, prompt_width: int) -> str:
    if e.kind in ("missing-argument", "expecting-command"):
        return INCOMPLETE + "\n"
    if e.kind == "ambiguous":
        return marked(AMBIGUOUS, prompt_width, e.col)
    if e.kind == "invalid-value":
        return marked(_value_message(e), prompt_width, e.col)
    return marked(INVALID_SYNTAX, prompt_width, e.col)


def completions(cands: list[Candidate], executable: bool, pipe: bool = False) -> str:
    """What `?` lists: one line per keyword or value with its help, `<cr>` when complete."""
    rows = sorted(((c.word, c.help) for c in cands), key=lambda r: (r[0].startswith("<"), r[0]))
    width = max((len(w) for w, _ in rows), default=0) + 3
    out = "".join(f"  {w.ljust(width)}- {h}\n" if h else f"  {w}\n" for w, h in rows)
    if pipe:
        out += f"  {'|'.ljust(width)}- Pipes the output\n"
    if executable:
        out += "  <cr>\n"
    return out


def no_completions(prompt_width: int, col: int) -> str:
    return marked(INVALID_SYNTAX, prompt_width, col)


PAGER_PROMPT = "--More--"
PIPE_HELP = {"grep": "Filters the output through a regular expression"}


def pipe_candidates(names) -> list[Candidate]:
    return [Candidate(n, PIPE_HELP.get(n, ""), None) for n in sorted(names)]


# cli.grammar_session.Wording for StarOS; a `Failure: …` line is a refusal (scripts exit non-zero)
WORDING = MessageWording(error_text, completions, no_completions, pipe_candidates,
                         "Failure: Internal error\n", ("Failure: ",), PAGER_PROMPT)
