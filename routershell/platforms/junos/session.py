"""The Junos CLI session: operational and configuration modes, `?`, Tab, pipes, dispatch.

Commands are grammar entries (commands/junos/*.grammar) naming a handler; handlers live in
op_commands.py (operational mode) and cfg_commands.py (configuration mode).
"""

from __future__ import annotations

import gc

from ...cli import pipes as pipemod
from ...cli import quoting
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
    statement_position,
    tokenize,
)
from . import messages as msg
from .grammar import edit_banner, grammar
from .registry import HANDLERS


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
        self.key = str(self.sid)  # this session's name in the configuration store
        self.started = device.now()
        from . import cfg_commands, op_commands  # noqa: F401 — handlers register on import

        self.handlers = HANDLERS

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
        return self.device.store.candidate(self.key)

    def writable(self, io):
        """The candidate to change, or None after printing Junos's lock message."""
        from ...config.store import StoreError

        try:
            return self.device.store.writable(self.key)
        except StoreError as e:
            from .op_commands import lock_message

            io.write(lock_message(self, e.holder))
            return None

    def close(self) -> None:
        self.device.store.close(self.key)
        super().close()

    def tree_root(self):
        return self.g.configuration if self.mode == "configuration" else self.g.operational

    # ---- execute ---------------------------------------------------------------------------
    async def run_line(self, line: str, io: SessionIO) -> None:
        if not line.strip():
            return
        if line.rstrip().endswith("?") and quoting.open_quote(line) is None:
            text = line.rstrip()[:-1]
            echo = self.prompt_line() + text + "?\n"
            io.write(self.help(text)[len(echo):])  # the front-end already showed the line
            return
        try:
            command, pipes = self._split(line)
            match = parse_command(self.tree_root(), command)
        except pipemod.PipeError as e:
            kind = {"ambiguous": "ambiguous", "missing-argument": "missing-argument"}.get(e.kind, "syntax")
            cands = msg.pipe_candidates(e.candidates)
            io.write(msg.error_text(ParseError(kind, e.column, e.token, cands), len(self.prompt_line())))
            self._blank_after_error(io)
            return
        except ParseError as e:
            io.write(msg.error_text(e, len(self.prompt_line())))
            self._blank_after_error(io)
            return
        await self.dispatch(match, pipes, io, line)

    def _split(self, line: str) -> tuple[str, list]:
        """Pipes of this line. `| compare` exists in configuration mode and after
        `show configuration`; elsewhere `| c` means `| count`."""
        if self.mode == "configuration":
            return pipemod.split_pipes(line, pipemod.CONFIG_PIPE_NAMES)
        command, _, _ = line.partition("|")
        try:
            shows_config = parse_command(self.g.operational, command).handler == "op-show-configuration"
        except ParseError:
            shows_config = False
        return pipemod.split_pipes(line, pipemod.CONFIG_PIPE_NAMES if shows_config else pipemod.PIPE_NAMES)

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
        # Show commands and commit build hundreds of thousands of short-lived acyclic objects
        # (records, tree copies): the cyclic collector's repeated passes over them cost more
        # than the work (10k-tunnel SA render 1.2 s -> 0.2 s); pause it for those handlers.
        pause = match.handler.startswith(_GC_PAUSED) and gc.isenabled()
        if pause:
            gc.disable()
        try:
            result = await handler(self, match, out, io)
        finally:
            if pause:
                gc.enable()
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

    def starts_exchanges(self, line: str) -> bool:
        words = line.split()
        if not words:
            return False
        if words[0] == "run" and self.mode == "configuration":
            words, root = words[1:], self.g.operational
        else:
            root = self.tree_root()
        hits = root.matches_prefix(words[0]) if words else []
        return len(hits) == 1 and hits[0].word in _EXCHANGE_COMMANDS

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
            path, node, phase = statement_position(start, base, toks)
        except ParseError:
            return [], False
        return cands + self._existing_keys(path, node, phase), executable

    def _existing_keys(self, path, node, phase) -> list[Candidate]:
        """Entries the candidate already has where a key may come next (Junos lists them)."""
        tree = self.candidate.get(path)
        if tree is None:
            return []
        if phase == "key":
            names = {node.name}
        elif phase == "children":
            names = {p.name for p in node.positionals}
        else:
            return []
        return [
            Candidate(key, "", node, False, ">")
            for (name, key), _child in tree.children.items()
            if name in names and key is not None
        ]

    def edit_start(self):
        node = schema_node_for(self.g.schema, self.edit) or self.g.schema
        return node, self.edit

    def platform_help(self, text: str) -> str:
        shown = self.prompt_line() + text + "?\n"
        pipe_at = quoting.last(text, "|")
        if pipe_at is not None:
            partial = text[pipe_at + 1 :].strip()
            if " " not in partial:
                names = pipemod.CONFIG_PIPE_NAMES if self.mode == "configuration" or "compare" in partial else pipemod.PIPE_NAMES
                cands = [c for c in msg.pipe_candidates(names) if c.word.startswith(partial)]
                if cands:
                    return shown + msg.completions(cands, False)
                return shown + msg.no_completions(len(self.prompt_line()), pipe_at + 2)
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

    def platform_complete(self, text: str) -> list[tuple[str, str, str]]:
        try:
            cands, _, _, partial = self._candidates(text)
        except ParseError:
            return []
        words = sorted({c.word for c in cands if not c.is_value and c.word.startswith(partial)})
        helps = {c.word: c.help for c in cands}
        return [(w, w, helps.get(w, "")) for w in words]


_GC_PAUSED = ("op-show", "cfg-commit", "cfg-show")
_EXCHANGE_COMMANDS = frozenset({"commit", "clear", "request"})


def _value_fits(c: Candidate, partial: str) -> bool:
    node = c.node
    if node is None or node.arg is None or node.arg.type is None:
        return True
    try:
        node.arg.type.check(partial)
        return True
    except ValueError:
        return False
