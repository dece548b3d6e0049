"""Pygments lexer for router command lines (vendor-neutral heuristics).

First word: the command verb. After `|`: the pipe keyword. Then IPv4/IPv6 addresses and
prefixes, interface names (`ge-0/0/0.0`, `GigabitEthernet0/1`, `st0.1`), numbers, quoted
strings. Every typed token must end at a space, `|`, `;` or the end of the line, so
`10.0.0.1x` stays a plain word.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer
from pygments.token import Keyword, Name, Number, Operator, String, Text, Whitespace

_END = r"(?=[\s|;]|$)"
_V4 = r"(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?"
# "::" somewhere or at least three colon groups, so 00:05:00 is not an address.
_V6 = r"(?=[0-9a-fA-F:]*::|(?:[0-9a-fA-F]{1,4}:){3})[0-9a-fA-F:]{2,39}(?:/\d{1,3})?"
_IFACE = (r"(?:[A-Za-z][A-Za-z-]*\d+(?:/\d+)+(?::\d+)?(?:\.\d+)?"
          r"|[a-z]{2,4}\d+\.\d+)")

_ARGS = [
    (r"\s+", Whitespace),
    (r"\|", Operator, "pipe"),
    (r";", Operator, "#pop"),
    (r'"(?:\\.|[^"\\])*"?', String.Double),
    (r"'[^']*'?", String.Single),
    (_V4 + _END, Name.Constant),
    (_V6 + _END, Name.Constant),
    (_IFACE + _END, Name.Variable),
    (r"-?\d+(?:\.\d+)?[kmgKMG]?" + _END, Number),
    (r"[^\s|;\"']+", Text),
]


class RouterLexer(RegexLexer):
    name = "Router CLI"
    aliases = ["routershell"]
    filenames: list[str] = []

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"[^\s|;\"']+", Keyword, "args"),
            (r".", Text),
        ],
        "args": _ARGS,
        "pipe": [
            (r"\s+", Whitespace),
            (r"[^\s|;]+", Keyword.Pseudo, "#pop"),
            (r"", Text, "#pop"),
        ],
    }
