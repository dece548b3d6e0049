"""Output pipes: `command | match R | count` split, checked and applied.

`split_pipes` cuts a line at every `|` outside double quotes and parses each pipe; errors come
back as PipeError carrying the column of the offending token, so the session can draw its caret
line and print the platform's wording. `apply_text_pipes` runs the line filters left to right;
display/compare/save/no-more/hold are left for the session (they change what is rendered or
where it goes, not the lines).

Pipe names are matched by unique prefix against a name table; the defaults are the keywords of
the Junos operational-mode pipe menu (configuration mode adds `compare`, see CONFIG_PIPE_NAMES).
Other platforms pass their own table (name -> kind) and count format.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from . import quoting
from .patterns import Deadline, Pattern, PatternError, compile_pattern

#: Kinds that rewrite the text line by line (apply_text_pipes handles these).
TEXT_KINDS = frozenset({"match", "except", "count", "last", "find", "trim"})
#: Kinds the session handles: how to render, where to send, whether to page.
SESSION_KINDS = frozenset({"no-more", "hold", "display", "compare", "save"})

PIPE_NAMES: Mapping[str, str] = {
    k: k for k in ("count", "display", "except", "find", "hold", "last", "match", "no-more",
                   "save", "trim")
}
CONFIG_PIPE_NAMES: Mapping[str, str] = {**PIPE_NAMES, "compare": "compare"}

DISPLAY_WORDS = ("changed", "detail", "inheritance", "json", "omit", "set", "xml")
INHERITANCE_WORDS = ("brief", "defaults", "groups", "no-comments", "terse")  # `default` abbreviates `defaults`


@dataclass(frozen=True)
class Word:
    text: str  # unquoted
    column: int  # 0-based column of its first character in the full line
    quoted: bool = False


@dataclass(frozen=True)
class Pipe:
    kind: str
    column: int  # column of the pipe's name
    args: tuple[str, ...] = ()
    number: int | None = None  # last N, trim N, compare rollback N
    pattern: Pattern | None = field(default=None, compare=False)

    @property
    def is_text_filter(self) -> bool:
        return self.kind in TEXT_KINDS


class PipeError(ValueError):
    """A pipe that cannot be parsed.

    kind: "syntax" (unknown or extra word), "ambiguous", "missing-argument", "invalid-value",
    "bad-regex" or "unmatched-quote"; column: 0-based column of the bad token (for `missing-
    argument`, the column just after the line); token: that token; candidates: names an
    ambiguous prefix could mean.
    """

    def __init__(self, kind: str, column: int, token: str = "",
                 candidates: tuple[str, ...] = (), detail: str = "") -> None:
        super().__init__(f"{kind} at column {column}: {token or detail}")
        self.kind = kind
        self.column = column
        self.token = token
        self.candidates = candidates
        self.detail = detail


def _segments(line: str) -> list[tuple[str, int]]:
    """Cut at `|` outside double quotes; each piece with the column it starts at."""
    at = quoting.open_quote(line)
    if at is not None:
        raise PipeError("unmatched-quote", at, '"')
    return quoting.split(line, "|")


def _words(text: str, offset: int) -> list[Word]:
    words: list[Word] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        begin = i
        buf: list[str] = []
        quoted = False
        while i < len(text) and not text[i].isspace():
            if text[i] == '"':
                quoted = True
                i += 1
                while i < len(text) and text[i] != '"':
                    if text[i] == "\\" and i + 1 < len(text):
                        i += 1
                    buf.append(text[i])
                    i += 1
                i += 1  # closing quote (segments already proved it exists)
            else:
                buf.append(text[i])
                i += 1
        words.append(Word("".join(buf), offset + begin, quoted))
    return words


def _lookup(word: Word, choices: Iterable[str]) -> str:
    """Full choice for an exact name or a unique prefix; PipeError otherwise."""
    choices = list(choices)
    if word.text in choices:
        return word.text
    hits = tuple(sorted(c for c in choices if c.startswith(word.text)))
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise PipeError("ambiguous", word.column, word.text, hits)
    raise PipeError("syntax", word.column, word.text)


def _number(word: Word, low: int = 1) -> int:
    if not word.text.isdigit() or int(word.text) < low:
        raise PipeError("invalid-value", word.column, word.text)
    return int(word.text)


def _regex(word: Word) -> Pattern:
    # Filters are case-insensitive ("| match GE-0" finds ge-0/0/0), as the devices' are.
    try:
        return compile_pattern(word.text, ignore_case=True)
    except PatternError as e:
        raise PipeError("bad-regex", word.column, word.text, detail=str(e)) from None


def _no_more_words(words: list[Word], n: int) -> None:
    if len(words) > n:
        raise PipeError("syntax", words[n].column, words[n].text)


def _parse_pipe(words: list[Word], end: int, names: Mapping[str, str]) -> Pipe:
    if not words:
        raise PipeError("missing-argument", end)
    name = words[0]
    kind = names[_lookup(name, names)]
    args = words[1:]
    col = name.column

    def need(i: int) -> Word:
        if len(args) <= i:
            raise PipeError("missing-argument", end)
        return args[i]

    if kind in ("match", "except", "find"):
        pat = need(0)
        _no_more_words(args, 1)
        return Pipe(kind, col, (pat.text,), pattern=_regex(pat))
    if kind in ("count", "no-more", "hold"):
        _no_more_words(args, 0)
        return Pipe(kind, col)
    if kind == "last":
        _no_more_words(args, 1)
        return Pipe(kind, col, number=_number(args[0]) if args else None)
    if kind == "trim":
        n = _number(need(0), low=0)
        _no_more_words(args, 1)
        return Pipe(kind, col, number=n)
    if kind == "save":
        _no_more_words(args, 1)
        return Pipe(kind, col, (need(0).text,))
    if kind == "display":
        what = _lookup(need(0), DISPLAY_WORDS)
        rest: tuple[str, ...] = ()
        if what == "inheritance" and len(args) > 1:
            rest = (_lookup(args[1], INHERITANCE_WORDS),)
            _no_more_words(args, 2)
        elif what == "xml" and len(args) > 1:  # `| display xml rpc`: the command as an RPC
            rest = (_lookup(args[1], ("rpc",)),)
            _no_more_words(args, 2)
        else:
            _no_more_words(args, 1)
        return Pipe(kind, col, (what, *rest))
    if kind == "compare":
        if not args:  # bare `| compare`: against the active configuration (rollback 0)
            return Pipe(kind, col, ("rollback",), number=0)
        if args[0].text == "rollback":
            n = _number(need(1), low=0)
            _no_more_words(args, 2)
            return Pipe(kind, col, ("rollback",), number=n)
        _no_more_words(args, 1)
        return Pipe(kind, col, (args[0].text,))
    raise PipeError("syntax", col, name.text)  # a table entry naming a kind we do not know


def pattern_pipe(kind: str, column: int, text: str, text_column: int) -> Pipe:
    """A match/except/find pipe over `text` (the pattern starts at `text_column`)."""
    return Pipe(kind, column, (text,), pattern=_regex(Word(text, text_column)))


def _rest_of_line(line: str, names: Mapping[str, str], rest: Collection[str]
                  ) -> tuple[int, Word, str, int] | None:
    """The first pipe whose name is in `rest` (IOS style: its pattern is everything to the end
    of the line, `|` and quotes included): (where its `|` is, its name word, the pattern, the
    pattern's column). Quotes before it still protect `|` as usual."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        if ch != "|" or quoted:
            continue
        j = i + 1
        while j < len(line) and line[j].isspace():
            j += 1
        k = j
        while k < len(line) and not line[k].isspace() and line[k] != "|":
            k += 1
        word = Word(line[j:k], j)
        try:
            name = _lookup(word, names) if word.text else None
        except PipeError:
            continue  # the ordinary parse reports it
        if name not in rest:
            continue
        start = k
        while start < len(line) and line[start].isspace():
            start += 1
        text = line[start:].rstrip()
        if not text:
            return None  # `| include` alone: the ordinary parse says what is missing
        return i, Word(name, j), text, start
    return None


def split_pipes(line: str, names: Mapping[str, str] = PIPE_NAMES,
                rest_of_line: Collection[str] = ()) -> tuple[str, list[Pipe]]:
    """Split `line` into the command (stripped) and its pipes, left to right.

    `names` maps each pipe keyword to its kind. A pipe named in `rest_of_line` (IOS-style
    `| include`, whose regex runs to the end of the line) ends the line: its pattern is the
    rest of the line as typed. Raises PipeError.
    """
    if rest_of_line:
        cut = _rest_of_line(line, names, rest_of_line)
        if cut is not None:
            bar, name, text, col = cut
            command, pipes = split_pipes(line[:bar], names)
            return command, [*pipes, pattern_pipe(names[name.text], name.column, text, col)]
    segments = _segments(line)
    command = segments[0][0].strip()
    pipes = [
        _parse_pipe(_words(text, col), len(line), names) for text, col in segments[1:]
    ]
    return command, pipes


def _join(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def apply_text_pipes(text: str, pipes: Iterable[Pipe], screen_length: int = 0,
                     count_format: str = "Count: {n} lines") -> str:
    """Apply the line filters in order; session kinds are skipped.

    `| last` without a number keeps one screenful (screen_length - 1 lines; all if 0).
    Raises patterns.PatternTimeout when the patterns take longer than their budget.
    """
    lines = text.splitlines()
    deadline = Deadline()
    for pipe in pipes:
        if pipe.kind == "match":
            assert pipe.pattern is not None
            lines = [ln for ln in lines if deadline.search(pipe.pattern, ln)]
        elif pipe.kind == "except":
            assert pipe.pattern is not None
            lines = [ln for ln in lines if not deadline.search(pipe.pattern, ln)]
        elif pipe.kind == "find":
            assert pipe.pattern is not None
            hit = next((i for i, ln in enumerate(lines) if deadline.search(pipe.pattern, ln)), len(lines))
            lines = lines[hit:]
        elif pipe.kind == "last":
            n = pipe.number if pipe.number is not None else max(screen_length - 1, 0)
            if n:
                lines = lines[-n:]
        elif pipe.kind == "trim":
            lines = [ln[pipe.number or 0:] for ln in lines]
        elif pipe.kind == "count":  # later filters see the one count line
            lines = [count_format.format(n=len(lines))]
    return _join(lines)
