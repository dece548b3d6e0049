"""Junos wording: parse errors, help lists, fixed messages (the Junos 9.3 Services Interfaces Configuration Guide)."""

from __future__ import annotations

import re

from ...grammar.parser import Candidate, ParseError

ENTERING = "Entering configuration mode\n"
EXITING = "Exiting configuration mode\n"
UNCOMMITTED = "The configuration has been changed but not committed\n"
EXIT_QUESTION = "Exit with uncommitted changes? [yes,no] (yes) "
COMMIT_COMPLETE = "commit complete\n"
CHECK_SUCCEEDS = "configuration check succeeds\n"
CHECK_FAILED = "error: configuration check-out failed\n"
LOAD_COMPLETE = "load complete\n"
NOT_FOUND = "warning: statement not found\n"
EXCLUSIVE_WARNING = "warning: uncommitted changes will be discarded on exit\n"
NOT_CONFIRMED = "Commit was not confirmed; automatic rollback complete."


def confirmed_note(minutes: int) -> str:
    return f"commit confirmed will be automatically rolled back in {minutes} minutes unless confirmed\n"


def _value_message(e: ParseError) -> str:
    ve = e.value_error
    kind = ve.kind if ve else ""
    if kind == "range":
        value, _, rng = (ve.detail if ve else "").partition(" ")
        return f"Value {value} is not within range {rng} at '{e.token}'"
    if kind == "number":
        return f"invalid numeric value: '{e.token}'"
    if kind == "address":
        return f"invalid ip address or hostname: {e.token}"
    if kind == "prefix":
        return f"invalid prefix: '{e.token}'"
    if kind == "interface":
        return f"invalid interface type in '{e.token}'"
    if kind == "length":
        limit = (ve.detail if ve else "").rpartition(" ")[2]
        return f"Must be a string of {limit} characters or less at '{e.token}'"
    return f"invalid value: '{e.token}'"


def error_text(e: ParseError, prompt_width: int, at_top: bool = True) -> str:
    """Caret under the offending token, then the message, as Junos prints it."""
    caret = " " * (prompt_width + e.col) + "^\n"
    if e.kind == "unterminated-quote":
        return caret + "syntax error, unterminated quote.\n"
    if e.kind == "unknown-command":
        return caret + "unknown command.\n"
    if e.kind == "expecting-command":
        return caret + "syntax error, expecting <command>.\n"
    if e.kind == "missing-argument":
        return caret + "missing argument.\n"
    if e.kind == "ambiguous":
        return caret + f"'{e.token}' is ambiguous.\n" + completions(e.candidates, False)
    if e.kind == "invalid-value":
        return caret + _value_message(e) + "\n"
    return caret + "syntax error.\n"


def _with_range(c: Candidate) -> str:
    """A typed value's help ends with its range, as Junos prints it: `Maximum transmit packet
    size (256..9192)`."""
    node = c.node
    if not c.is_value or node is None or node.arg is None or node.arg.type is None:
        return c.help
    rng = node.arg.type.describe()
    return f"{c.help} {rng}".strip() if rng and rng not in c.help else c.help


def completions(cands: list[Candidate], executable: bool, pipe: bool = False, markers: bool = False) -> str:
    """The `Possible completions:` list. Config mode marks containers `>` and leaf-lists `+`."""
    lines = ["Possible completions:"]
    seen: set[str] = set()
    rows: list[tuple[str, str, str]] = []
    if executable:
        rows.append((" ", "<[Enter]>", "Execute this command"))
    values = [c for c in cands if c.is_value]
    # numbered entries (`rollback ?`) in numeric order, keywords alphabetically
    words = sorted((c for c in cands if not c.is_value), key=lambda c: (0, int(c.word), "") if c.word.isdigit() else (1, 0, c.word))
    for c in values + words:
        if c.word in seen:
            continue
        seen.add(c.word)
        rows.append((c.marker if markers else " ", c.word, _with_range(c)))
    if pipe:
        rows.append((" ", "|", "Pipe through a command"))
    for mark, word, help_text in rows:
        lines.append(f"{mark} {word:<20} {help_text}".rstrip() if len(word) < 21 else f"{mark} {word} {help_text}")
    return "\n".join(lines) + "\n"


def no_completions(prompt_width: int, col: int) -> str:
    return " " * (prompt_width + col) + "^\nNo valid completions\n"


def broadcast(user: str, host: str, when: str, text: str) -> str:
    """A message written to every terminal of the device (wall-style, as Junos's mgd does)."""
    return f"\nBroadcast Message from {user}@{host}\n        (no tty) at {when}...\n\n{text}\n"


PIPE_HELP = {
    "compare": "Compare configuration changes with prior version",
    "count": "Count occurrences",
    "display": "Show additional kinds of information",
    "except": "Show only text that does not match a pattern",
    "find": "Search for first occurrence of pattern",
    "hold": "Hold text without exiting the ---(more)--- prompt",
    "last": "Display end of output only",
    "match": "Show only text that matches a pattern",
    "no-more": "Don't paginate output",
    "save": "Save output text to file",
    "trim": "Trim specified number of columns from start of line",
}


def pipe_candidates(names) -> list[Candidate]:
    return [Candidate(n, PIPE_HELP.get(n, ""), None) for n in sorted(names)]


# The pipe menus: operational mode, and configuration mode / `show configuration` (+ compare).
PIPE_NAMES = {k: k for k in ("count", "display", "except", "find", "hold", "last", "match",
                             "no-more", "save", "trim")}
CONFIG_PIPE_NAMES = {**PIPE_NAMES, "compare": "compare"}
PAGER_PROMPT = "---(more {pct}%)---"


class JunosWording:
    """These messages as the shared grammar session asks for them (cli.grammar_session.Wording)."""

    pager_prompt = PAGER_PROMPT

    def error_text(self, e: ParseError, prompt_width: int) -> str:
        return error_text(e, prompt_width)

    def completions(self, cands: list[Candidate], executable: bool, pipe: bool, markers: bool = False) -> str:
        return completions(cands, executable, pipe, markers)

    def no_completions(self, prompt_width: int, col: int) -> str:
        return no_completions(prompt_width, col)

    def pipe_candidates(self, names) -> list[Candidate]:
        return pipe_candidates(names)

    def internal_error(self) -> str:
        return "error: internal error\n"

    def is_error(self, text: str) -> bool:
        return ERROR_LINE.search(text) is not None


# A line of output that is Junos refusing the command: `error: …` and the parser's messages
# (shown under a caret). Output of a command that worked never starts a line this way.
ERROR_LINE = re.compile(r"^(error: |syntax error|unknown command\.|missing argument\.|invalid |"
                        r"Value .* is not within range|'[^']*' is ambiguous\.|Must be a string of )",
                        re.MULTILINE)


WORDING = JunosWording()
