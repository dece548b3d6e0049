"""The grammar-driven half of every platform's session: modes, parse, dispatch, pipes, pager,
`?` and Tab.

A platform declares its modes (name, command tree, prompt, parent, pipe table), its handler
table and its wording (error and help layouts); this class does the rest the same way for all:

    line ─► `?` at the end? ─► help body (the front-end already echoed the line)
         └► split pipes (the mode's table) ─► parse in the mode's tree
                 (IOS-style fallback: a line that fails here but parses in a parent mode runs
                  there, and the session returns to that mode, as IOS/StarOS do)
             ─► handler(session, match, out, io) ─► text pipes ─► pager

Handlers write to `out` (collected, so pipes and the pager see the whole output) or return the
finished text (record-aware handlers that already applied `| display …`).
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..grammar.parser import (
    Candidate,
    CommandMatch,
    ParseError,
    command_candidates,
    parse_command,
    tokenize,
)
from ..grammar.schema import Node
from . import pipes as pipemod
from . import quoting
from .io import SessionIO
from .pager import MORE_PROMPT, page
from .patterns import PatternTimeout
from .session import CliSession

#: printed when `| match` & co. run past their time budget (platforms may word it their way)
PATTERN_TIMEOUT = "error: regular expression too complex (matching was stopped)\n"

Handler = Callable[..., Awaitable[Any]]


class HandlerTable:
    """Handlers by name, one table per platform: a grammar entry says `=> show-version`, the
    platform's module registers the coroutine under that name."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self._handlers: dict[str, Handler] = {}

    def handler(self, name: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            if name in self._handlers and self._handlers[name] is not fn:
                raise ValueError(f"{self.platform}: handler {name!r} registered twice")
            self._handlers[name] = fn
            return fn

        return deco

    def get(self, name: str) -> Handler | None:
        return self._handlers.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._handlers

    def names(self) -> list[str]:
        return sorted(self._handlers)


@dataclass(frozen=True)
class Mode:
    """One CLI mode: what it parses, how its prompt reads, where unparsed lines fall back to."""

    name: str
    tree: Node
    prompt: Callable[[Any], str]  # the full prompt line (with its trailing space if any)
    parent: str | None = None  # IOS-style: lines this mode does not know are tried there
    pipes: Mapping[str, str] | None = field(default=None)  # pipe name -> kind; None: no pipes


class Wording(Protocol):
    """A platform's messages for what the shared session prints."""

    pager_prompt: str  # with `{pct}` where the device shows a percentage

    def error_text(self, e: ParseError, prompt_width: int) -> str: ...

    def completions(self, cands: list[Candidate], executable: bool, pipe: bool) -> str: ...

    def no_completions(self, prompt_width: int, col: int) -> str: ...

    def pipe_candidates(self, names: Mapping[str, str]) -> list[Candidate]: ...

    def internal_error(self) -> str: ...

    # optional: `def is_error(self, text) -> bool`, True when a command's output is the
    # device refusing it (then no pipe runs over it, and scripts exit non-zero)


@dataclass(frozen=True)
class MessageWording:
    """A Wording made of a platform's message functions (what most platforms need): the
    refusal prefixes (`% `, `Failure: `) tell `is_error` which output means the device said no."""

    error_text: Callable[[ParseError, int], str]
    completions: Callable[[list[Candidate], bool, bool], str]
    no_completions: Callable[[int, int], str]
    pipe_candidates: Callable[[Mapping[str, str]], list[Candidate]]
    internal_error_text: str
    error_prefixes: tuple[str, ...]
    pager_prompt: str = MORE_PROMPT

    def internal_error(self) -> str:
        return self.internal_error_text

    def is_error(self, text: str) -> bool:
        return any(line.startswith(self.error_prefixes) for line in text.splitlines())


class Output:
    """What a handler writes: collected so pipes and the pager can run over it afterwards."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def text(self) -> str:
        return "".join(self.parts)

    def take(self) -> str:
        t = self.text()
        self.parts.clear()
        return t


#: new objects a GC-paused handler may leave alive before they count as long-lived state
KEEP_AFTER = 100_000


def keep_survivors() -> None:
    """After a GC-paused handler: if it left many new objects alive (a commit of a large
    configuration: the new active tree, its history entry, the shared candidate, the compiled
    tunnel specs), collect once, so the handler's cyclic garbage goes now, and freeze the rest.
    Otherwise CPython's full collections walk that state again and again, and the store keeps
    50 history trees: the pass after a 10k-tunnel commit cost 0.3 s after one commit and 0.9 s
    after four. The trees are acyclic, so they are still freed when history lets them go.
    The freeze is process-wide (as App's after boot): an object alive now that later becomes
    part of unreachable cycles (a session's objects, say) is never collected — a few kilobytes
    per live session per large commit, the price of not walking the history again."""
    if gc.get_count()[0] > KEEP_AFTER:
        gc.collect()
        gc.freeze()


class GrammarSession(CliSession):
    """Subclasses set `modes`, `handlers`, `wording` (instance or class attributes) and call
    `super().__init__(device, user, client, initial_mode)`."""

    modes: dict[str, Mode]
    handlers: HandlerTable
    wording: Wording
    #: handler-name prefixes that build many short-lived objects: the cyclic GC pauses for them
    gc_paused: tuple[str, ...] = ()
    #: first words of commands that may start protocol exchanges (the front-end then waits)
    exchange_commands: frozenset[str] = frozenset()
    #: or, more precisely, the handlers of such commands (checked when not empty)
    exchange_handlers: frozenset[str] = frozenset()
    count_format: str = "Count: {n} lines"

    def __init__(self, device, user: str = "user", client: str = "terminal", initial_mode: str = "") -> None:
        super().__init__(device, user, client)
        self.mode_stack: list[tuple[str, dict[str, Any]]] = [(initial_mode, {})]
        self.current_pipes: list[pipemod.Pipe] = []
        self.current_line = ""

    # ---- modes -----------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self.mode_stack[-1][0]

    @mode.setter
    def mode(self, name: str) -> None:
        """Replace the current mode (a platform whose modes do not nest, such as Junos)."""
        self.mode_stack[-1] = (name, {})

    @property
    def context(self) -> dict[str, Any]:
        """The current mode's context (`interface tunnel ipsec:t1` → {"interface": …})."""
        return self.mode_stack[-1][1]

    def enter(self, mode: str, **context: Any) -> None:
        if mode not in self.modes:
            raise KeyError(mode)
        self.mode_stack.append((mode, dict(context)))

    def leave(self) -> None:
        """`exit`: back to the mode this one was entered from (never below the first)."""
        if len(self.mode_stack) > 1:
            self.mode_stack.pop()

    def leave_to(self, mode: str) -> None:
        """`end`: back to the innermost frame of `mode` (or the first mode)."""
        while len(self.mode_stack) > 1 and self.mode != mode:
            self.mode_stack.pop()

    def find_context(self, key: str) -> Any:
        """The innermost value of a context key (a sub-mode inside `context X` sees X)."""
        for _, ctx in reversed(self.mode_stack):
            if key in ctx:
                return ctx[key]
        return None

    def tree_root(self) -> Node:
        return self.modes[self.mode].tree

    def prompt_line(self) -> str:
        return self.modes[self.mode].prompt(self)

    def prompt(self) -> str:
        return self.prompt_line()

    def internal_error_text(self) -> str:
        return self.wording.internal_error()

    # ---- execute ---------------------------------------------------------------------------
    async def run_line(self, line: str, io: SessionIO) -> None:
        if not line.strip():
            return
        bad = next((i for i, ch in enumerate(line) if "\udc80" <= ch <= "\udcff"), None)
        if bad is not None:  # a byte that is not UTF-8: refused where it stands, never stored
            io.write(self.wording.error_text(ParseError("syntax", bad, line[bad]), len(self.prompt_line())))
            self.after_error(io)
            self.mark_failed()
            return
        if self.is_help_line(line):
            io.write(self.platform_help(line.rstrip()[:-1]))
            return
        try:
            command, pipes = self.split_pipes(line)
            match = self.parse(command)
        except pipemod.PipeError as e:
            self.pipe_error(e, io)
            return
        except ParseError as e:
            io.write(self.wording.error_text(e, len(self.prompt_line())))
            self.mark_failed()
            self.after_error(io)
            return
        await self.dispatch(match, pipes, io, line)

    @staticmethod
    def is_help_line(line: str) -> bool:
        return line.rstrip().endswith("?") and quoting.open_quote(line) is None

    def pipe_table(self, line: str) -> Mapping[str, str] | None:
        """The pipes allowed after this line (the mode's table; platforms may refine it)."""
        return self.modes[self.mode].pipes

    def split_pipes(self, line: str) -> tuple[str, list[pipemod.Pipe]]:
        names = self.pipe_table(line)
        if names is None:
            return line.strip(), []
        return pipemod.split_pipes(line, names)

    def parse(self, command: str) -> CommandMatch:
        """Parse in the current mode; on failure try the parent modes (leaving to the first
        that takes the line). The error reported is the current mode's."""
        try:
            return parse_command(self.tree_root(), command)
        except ParseError as first:
            parent = self.modes[self.mode].parent
            while parent is not None:
                try:
                    match = parse_command(self.modes[parent].tree, command)
                except ParseError:
                    parent = self.modes[parent].parent
                    continue
                self.leave_to(parent)
                if self.mode != parent:  # not on the stack: the parent replaces the frame
                    self.mode_stack[-1] = (parent, {})
                return match
            raise first

    def pipe_error(self, e: pipemod.PipeError, io: SessionIO) -> None:
        kind = {"ambiguous": "ambiguous", "missing-argument": "missing-argument"}.get(e.kind, "syntax")
        names = self.pipe_table(self.current_line) or {}
        cands = self.wording.pipe_candidates(e.candidates or names) if e.candidates else []
        io.write(self.wording.error_text(ParseError(kind, e.column, e.token, cands), len(self.prompt_line())))
        self.mark_failed()
        self.after_error(io)

    def after_error(self, io: SessionIO) -> None:
        """What follows an error message (Junos operational mode: a blank line)."""

    async def dispatch(self, match: CommandMatch, pipes: list, io: SessionIO, line: str = "") -> None:
        handler = self.handlers.get(match.handler) if match.handler else None
        if handler is None:
            io.write(self.wording.error_text(ParseError("unknown-command", 0, ""), len(self.prompt_line())))
            self.mark_failed()
            return
        out = Output()
        io = tee = _Tee(io)
        self.current_pipes = pipes
        self.current_line = line
        # Show commands and commit build hundreds of thousands of short-lived acyclic objects
        # (records, tree copies): the cyclic collector's repeated passes over them cost more
        # than the work (10k-tunnel SA render 1.2 s -> 0.2 s); pause it for those handlers.
        pause = bool(self.gc_paused) and match.handler.startswith(self.gc_paused) and gc.isenabled()
        if pause:
            gc.disable()
        try:
            result = await handler(self, match, out, io)
        finally:
            if pause:
                keep_survivors()  # before enable: an automatic collection would reset the count
                gc.enable()
        text = out.text() if result is None else result
        is_error = getattr(self.wording, "is_error", None)
        if self.failed or (is_error is not None and is_error(tee.text() + text)):
            # the command refused (its own error, e.g. `error: device … not found`): the
            # message shows as it is, no pipe runs over it (no `Count: 0 lines` after it)
            self.mark_failed()
            pipes = [p for p in pipes if p.kind == "no-more"]
        await self.emit(text, pipes, tee.inner)

    async def emit(self, text: str, pipes: list, io: SessionIO) -> None:
        """Run the text pipes over a command's output and page it."""
        try:
            text = pipemod.apply_text_pipes(text, pipes, self.screen_length, self.count_format)
        except PatternTimeout:
            io.write(getattr(self.wording, "pattern_timeout", PATTERN_TIMEOUT))
            self.mark_failed()
            return
        no_more = any(p.kind == "no-more" for p in pipes)
        hold = any(p.kind == "hold" for p in pipes)
        await page(io, text, 0 if no_more else self.screen_length, self.screen_width,
                   hold=hold, prompt=getattr(self.wording, "pager_prompt", MORE_PROMPT))

    def starts_exchanges(self, line: str) -> bool:
        if self.exchange_handlers:
            command = line.partition("|")[0]
            try:
                return parse_command(self.tree_root(), command).handler in self.exchange_handlers
            except ParseError:
                return False
        words = line.split()
        if not words or not self.exchange_commands:
            return False
        hits = self.tree_root().matches_prefix(words[0])
        return len(hits) == 1 and hits[0].word in self.exchange_commands

    # ---- ? and Tab ---------------------------------------------------------------------------
    def candidates(self, text: str) -> tuple[list[Candidate], bool, int, str]:
        """(candidates, executable, column of the word being completed, partial word)."""
        command, _, _ = text.partition("|") if '"' not in text else (text, "", "")
        toks = tokenize(command)
        partial = ""
        if toks and not command.endswith((" ", "\t")):
            partial = toks[-1].text
            toks = toks[:-1]
        col = len(command) - len(partial)
        cands, executable = self.tree_candidates(toks)
        top = getattr(self.lab, "top_candidate", None) if not toks else None
        if top is not None:  # `lab` works in every mode: listed with the mode's first words
            cands = cands + [top()]
        return cands, executable, col, partial

    def tree_candidates(self, toks: list) -> tuple[list[Candidate], bool]:
        """What may follow `toks` in the current mode (platforms extend: Junos `set …`)."""
        return command_candidates(self.tree_root(), toks)

    def platform_help(self, text: str) -> str:
        """What `?` lists after `text` (without the echoed line: CliSession.help adds it)."""
        width = len(self.prompt_line())
        names = self.pipe_table(text)
        pipe_at = quoting.last(text, "|") if names is not None else None
        if pipe_at is not None:
            partial = text[pipe_at + 1 :].strip()
            if " " not in partial:
                cands = [c for c in self.wording.pipe_candidates(names or {}) if c.word.startswith(partial)]
                if cands:
                    return self.render_completions(cands, False, False)
                return self.wording.no_completions(width, pipe_at + 2)
        try:
            cands, executable, col, partial = self.candidates(text)
        except ParseError as e:
            return self.wording.error_text(e, width)
        matching = [c for c in cands if c.is_value or c.word.startswith(partial)]
        if partial:
            matching = [c for c in matching if not c.is_value or value_fits(c, partial)]
        if not matching and not executable:
            return self.wording.no_completions(width, col)
        show_pipe = executable and not partial and names is not None
        return self.render_completions(matching, executable and not partial, show_pipe)

    def render_completions(self, cands: list[Candidate], executable: bool, pipe: bool) -> str:
        return self.wording.completions(cands, executable, pipe)

    def platform_complete(self, text: str) -> list[tuple[str, str, str]]:
        names = self.pipe_table(text)
        pipe_at = quoting.last(text, "|") if names is not None else None
        if pipe_at is not None:  # after `|`: the pipe's name, never the command's next word
            rest = text[pipe_at + 1:].lstrip()
            if " " in rest:
                return []  # a pipe's own arguments (patterns, file names) are free text
            cands = [c for c in self.wording.pipe_candidates(names or {}) if c.word.startswith(rest)]
            return [(c.word, c.word, c.help) for c in cands]
        try:
            cands, _, _, partial = self.candidates(text)
        except ParseError:
            return []
        words = sorted({c.word for c in cands if not c.is_value and c.word.startswith(partial)})
        helps = {c.word: c.help for c in cands}
        return [(w, w, helps.get(w, "")) for w in words]


class _Tee:
    """The terminal as a handler sees it: what the handler writes straight to it (errors found
    in a sub-walk, questions) is kept to tell whether the command failed."""

    def __init__(self, inner: SessionIO) -> None:
        self.inner = inner
        self._written: list[str] = []

    def __getattr__(self, name: str) -> Any:  # interactive, terminal_size, … of the terminal
        return getattr(self.inner, name)

    def write(self, text: str) -> None:
        self._written.append(text)
        self.inner.write(text)

    async def read_line(self, prompt: str = "") -> str | None:
        return await self.inner.read_line(prompt)

    async def read_key(self, prompt: str = "") -> str:
        return await self.inner.read_key(prompt)

    def text(self) -> str:
        return "".join(self._written)


def value_fits(c: Candidate, partial: str) -> bool:
    """True if `partial` could be (the start of) a value of the candidate's type."""
    node = c.node
    if node is None or node.arg is None or node.arg.type is None:
        return True
    try:
        node.arg.type.check(partial)
        return True
    except ValueError:
        return False
