"""AlliedWare wording: `Info (…)` / `Error (…)` messages and parse errors.

AlliedWare classic prints one line per outcome, `Info (LMMMNNN): text` or `Error (LMMMNNN): text`,
where L is the level (1 info, 2 warning, 3 error), MMM the module and NNN the message. No caret
is drawn under bad input; the message names the parameter. The module numbers and message
numbers below are our reconstruction (docs/alliedware.md); the shapes and the
`Operation successful.` text are the device's.
"""

from __future__ import annotations

from ...grammar.parser import Candidate, ParseError

PARSER, SYSTEM, USER, IP, FILE, ENCO, IPSEC, ISAKMP = 35, 34, 51, 5, 49, 73, 81, 82


def info(module: int, number: int, text: str) -> str:
    return f"Info ({1000000 + module * 1000 + number}): {text}\n"


def error(module: int, number: int, text: str) -> str:
    return f"Error ({3000000 + module * 1000 + number}): {text}\n"


def ok(module: int) -> str:
    return info(module, 3, "Operation successful.")


def _param(e: ParseError) -> str:
    if e.candidates and e.candidates[0].node is not None and e.candidates[0].node.word:
        return e.candidates[0].node.word.upper()
    return e.token.upper()


def parse_error(e: ParseError) -> str:
    """The device's message for a line that does not parse."""
    k = e.kind
    if k == "unknown-command":
        return error(PARSER, 1, f'Unknown command "{e.token}".')
    if k == "expecting-command":
        return error(PARSER, 2, "Incomplete command.")
    if k == "ambiguous":
        return error(PARSER, 3, f'Ambiguous keyword "{e.token}".')
    if k == "syntax":
        return error(PARSER, 4, f'Parameter "{e.token}" not recognised.')
    if k == "duplicate":
        return error(PARSER, 5, f"Parameter {_param(e)} specified more than once.")
    if k == "missing-value":
        return error(PARSER, 10, f"Value missing on parameter {_param(e)}.")
    if k == "unexpected-value":
        return error(PARSER, 11, f"Parameter {_param(e)} does not take a value.")
    if k == "missing-argument":
        return error(PARSER, 13, f"Required parameter {_param(e)} missing.")
    if k == "unterminated-quote":
        return error(PARSER, 14, "Unmatched quote.")
    if k == "invalid-value":
        return error(PARSER, 12, f'Value "{e.token}" is invalid for parameter {_param(e)}'
                     f"{_allowed(e)}.")
    return error(PARSER, 99, "Syntax error.")


def _allowed(e: ParseError) -> str:
    node = e.candidates[0].node if e.candidates else None
    if node is None:
        return ""
    parts = []
    t = node.arg.type if node.arg is not None else None
    if t is not None and t.base == "int" and t.lo is not None:
        parts.append(f"{t.lo}..{t.hi}")
    elif t is not None and t.base in ("ip", "ipv4"):
        parts.append("an IP address")
    parts += [c.upper() for c in node.choices]
    return f" ({' or '.join(parts)})" if parts else ""


PRIVILEGE = error(PARSER, 20, "Operation not permitted at the current privilege level.")
SECURITY_OFFICER = error(PARSER, 21, "Security Officer privilege is required in security mode.")


def completions(cands: list[Candidate]) -> str:
    """Tab with several matches lists them, one per line (keywords as the manual spells them)."""
    return "".join(f"  {c.word:<24}{c.help}\n".rstrip() + "\n" for c in cands)


INTERNAL = error(PARSER, 98, "Internal error; the command was not completed.")


PAGER_PROMPT = "--More-- (<space> = next page, <CR> = one line, C = continuous, Q = quit)"


class AlliedWareWording:
    """These messages as the shared grammar session asks for them (cli.grammar_session.Wording).
    AlliedWare draws no caret: every parse error is one `Error (…)` line."""

    pager_prompt = PAGER_PROMPT

    def error_text(self, e: ParseError, prompt_width: int) -> str:
        if e.kind == "privilege":
            return PRIVILEGE
        if e.kind == "security-officer":
            return SECURITY_OFFICER
        return parse_error(e)

    def completions(self, cands: list[Candidate], executable: bool, pipe: bool) -> str:
        return completions(cands)

    def no_completions(self, prompt_width: int, col: int) -> str:
        return error(PARSER, 2, "No completions.")

    def pipe_candidates(self, names) -> list[Candidate]:
        return []

    def internal_error(self) -> str:
        return INTERNAL

    def is_error(self, text: str) -> bool:
        """The device refused the command: its output starts with `Error (…)`."""
        return text.startswith("Error (")


WORDING = AlliedWareWording()
