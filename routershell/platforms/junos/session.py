"""The Junos CLI session: operational and configuration modes, `?`, Tab, pipes, dispatch.

Commands are grammar entries (commands/junos/*.grammar) naming a handler; handlers live in
op_commands.py (operational mode) and cfg_commands.py (configuration mode).
"""

from __future__ import annotations

from ...cli import pipes as pipemod
from ...cli.io import SessionIO
from ...cli.pager import page
from ...cli.session import CliSession
from ...config.tree import Path
from ...grammar.parser import (
    Candidate,
    CommandMatch,
    ParseError,
    command_candidates,
    find_special,
    parse_command,
    schema_node_for,
    statement_candidates,
    tokenize,
)
from . import messages as msg
from .grammar import edit_banner, grammar


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


class JunosSession(CliSession):
    platform = "junos"

    def __init__(self, device, user: str = "user", client: str = "terminal") -> None:
        super().__init__(device, user, client)
        self.g = grammar()
        self.mode = "operational"
        self.edit: Path = ()
        self.database: str | None = None  # shared | exclusive | private
        self.private_candidate = None
        self.started = device.now()
        from . import cfg_commands, op_commands  # handlers register on import

        self.handlers = {**op_commands.HANDLERS, **cfg_commands.HANDLERS}

    # ---- prompt --------------------------------------------------------------------------
    @property
    def hostname(self) -> str:
        active = self.device.store.active
        node = active.get((("system", None), ("host-name", None)))
        return node.value if node is not None and node.value else self.device.name

    def prompt_line(self) -> str:
        return f"{self.user}@{self.hostname}{'#' if self.mode == 'configuration' else '>'} "

    def prompt(self) -> str:
        if self.mode == "operational":
            return self.prompt_line()
        extra = ""
        pending = self.device.store.confirm_deadline
        if pending is not None:
            minutes = max(1, int(-(-(pending - self.device.now()) // 60)))
            extra = f"# commit confirmed will be rolled back in {minutes} minute{'s' if minutes != 1 else ''}\n"
        return "\n" + edit_banner(self.edit, self.g.schema) + "\n" + extra + self.prompt_line()

    @property
    def candidate(self):
        if self.database == "private" and self.private_candidate is not None:
            return self.private_candidate
        return self.device.store.candidate

    def tree_root(self):
        return self.g.configuration if self.mode == "configuration" else self.g.operational

    # ---- execute ---------------------------------------------------------------------------
    async def run_line(self, line: str, io: SessionIO) -> None:
        if not line.strip():
            return
        if line.rstrip().endswith("?") and not line.rstrip().endswith('"?"'):
            io.write(self.help(line.rstrip()[:-1]))
            return
        try:
            names = pipemod.CONFIG_PIPE_NAMES if self.mode == "configuration" else pipemod.PIPE_NAMES
            command, pipes = pipemod.split_pipes(line, names)
        except pipemod.PipeError as e:
            kind = {"ambiguous": "ambiguous", "missing-argument": "missing-argument"}.get(e.kind, "syntax")
            io.write(msg.error_text(ParseError(kind, e.column, e.token), len(self.prompt_line())))
            self._blank_after_error(io)
            return
        try:
            match = parse_command(self.tree_root(), command)
        except ParseError as e:
            io.write(msg.error_text(e, len(self.prompt_line())))
            self._blank_after_error(io)
            return
        await self.dispatch(match, pipes, io, line)

    def _blank_after_error(self, io: SessionIO) -> None:
        if self.mode == "operational":
            io.write("\n")

    async def dispatch(self, match: CommandMatch, pipes: list, io: SessionIO, line: str = "") -> None:
        handler = self.handlers.get(match.handler)
        if handler is None:
            io.write(msg.error_text(ParseError("unknown-command", 0, ""), len(self.prompt_line())))
            return
        out = Output()
        self.current_pipes = pipes
        self.current_line = line
        result = await handler(self, match, out, io)
        text = out.text()
        if result is not None:  # a record/config-aware handler already applied display pipes
            text = result
        text = pipemod.apply_text_pipes(text, pipes, self.screen_length)
        no_more = any(p.kind == "no-more" for p in pipes)
        await page(io, text, 0 if no_more else self.screen_length, self.screen_width)

    def parse_error(self, e: ParseError, io, offset: int = 0) -> None:
        """Report an error found in a sub-walk (a statement after `set`), columns of the line."""
        e.col += offset
        io.write(msg.error_text(e, len(self.prompt_line())))

    # ---- ? and Tab ---------------------------------------------------------------------------
    def _candidates(self, text: str) -> tuple[list[Candidate], bool, int, str]:
        """(candidates, executable, column of the word being completed, partial word)."""
        command, _, _ = text.partition("|") if '"' not in text else (text, "", "")
        toks = tokenize(command)
        partial = ""
        if toks and not command.endswith((" ", "\t")):
            partial = toks[-1].text
            toks = toks[:-1]
        col = len(command) - len(partial)
        root = self.tree_root()
        cands, executable = command_candidates(root, toks)
        special = find_special(root, toks)
        if special is not None:
            kind, rest = special
            cands, executable = self._special_candidates(kind, rest)
        return cands, executable, col, partial

    def _special_candidates(self, kind: str, toks: list) -> tuple[list[Candidate], bool]:
        if kind == "op-command":
            return command_candidates(self.g.operational, toks)
        start, base = self.edit_start()
        try:
            cands, executable = statement_candidates(start, base, toks)
        except ParseError:
            return [], False
        return cands, executable

    def edit_start(self):
        node = schema_node_for(self.g.schema, self.edit) or self.g.schema
        return node, self.edit

    def help(self, text: str) -> str:
        shown = self.prompt_line() + text + "?\n"
        try:
            cands, executable, col, partial = self._candidates(text)
        except ParseError as e:
            return shown + msg.error_text(e, len(self.prompt_line()))
        matching = [c for c in cands if c.is_value or c.word.startswith(partial)]
        if partial:
            matching = [c for c in matching if not c.is_value or _value_fits(c, partial)]
        if not matching and not executable:
            return shown + msg.no_completions(len(self.prompt_line()), col)
        return shown + msg.completions(
            matching, executable and not partial, pipe=executable and not partial, markers=self.mode == "configuration"
        )

    def complete(self, text: str) -> list[tuple[str, str, str]]:
        try:
            cands, _, _, partial = self._candidates(text)
        except ParseError:
            return []
        words = sorted({c.word for c in cands if not c.is_value and c.word.startswith(partial)})
        helps = {c.word: c.help for c in cands}
        return [(w, w, helps.get(w, "")) for w in words]


def _value_fits(c: Candidate, partial: str) -> bool:
    node = c.node
    if node is None or node.arg is None or node.arg.type is None:
        return True
    try:
        node.arg.type.check(partial)
        return True
    except ValueError:
        return False
