"""The Junos CLI session: operational and configuration modes on the shared grammar session
(cli/grammar_session.py), with what only Junos has: the `[edit …]` path and banner, the shared /
exclusive / private candidate, `set …` statement completion with existing keys, and pipe menus
that depend on the command (`| compare` after `show configuration`).

Commands are grammar entries (commands/junos/*.grammar) naming a handler; handlers live in
op_commands.py (operational mode) and cfg_commands.py (configuration mode).
"""

from __future__ import annotations

from ...cli.grammar_session import GrammarSession, Mode, Output
from ...cli.io import SessionIO
from ...cli.pipes import apply_text_pipes
from ...config.tree import Path
from ...grammar.parser import (
    Candidate,
    ParseError,
    command_candidates,
    find_special,
    parse_command,
    schema_node_for,
    statement_candidates,
    statement_position,
)
from . import messages as msg
from .grammar import edit_banner, grammar
from .registry import HANDLERS
from .save import save_text

__all__ = ["JunosSession", "Output"]


class JunosSession(GrammarSession):
    platform = "junos"
    handlers = HANDLERS
    wording = msg.WORDING
    gc_paused = ("op-show", "cfg-commit", "cfg-show")
    # commands after which the front-end waits for negotiations to settle (not `clear log`)
    exchange_handlers = frozenset({"cfg-commit", "op-clear-ike-sa", "op-clear-ipsec-sa",
                                   "op-request-chassis-pic", "op-request-ipsec-switch"})

    def __init__(self, device, user: str = "user", client: str = "terminal") -> None:
        self.g = grammar()
        self.modes = {
            "operational": Mode("operational", self.g.operational, lambda s: s.prompt_line_for(">"),
                                pipes=msg.PIPE_NAMES),
            "configuration": Mode("configuration", self.g.configuration, lambda s: s.prompt_line_for("#"),
                                  pipes=msg.CONFIG_PIPE_NAMES),
        }
        super().__init__(device, user, client, "operational")
        self.edit: Path = ()
        self.edit_history: list[Path] = []  # the levels `edit` left, for `exit`
        self.database: str | None = None  # shared | exclusive | private
        self.key = str(self.sid)  # this session's name in the configuration store
        self.started = device.now()
        from . import cfg_commands, op_commands, system_commands  # noqa: F401 — handlers register on import

    # ---- prompt --------------------------------------------------------------------------
    @property
    def hostname(self) -> str:
        active = self.device.store.active
        node = active.get((("system", None), ("host-name", None)))
        return node.value if node is not None and node.value else self.device.name

    def prompt_line_for(self, mark: str) -> str:
        return f"{self.user}@{self.hostname}{mark} "

    def prompt(self) -> str:
        if self.mode == "operational":
            return self.prompt_line()
        extra = ""
        pending = self.device.store.confirm_deadline
        if pending is not None:
            minutes = max(1, int(-(-(pending - self.device.now()) // 60)))
            extra = f"# commit confirmed will be rolled back in {minutes} minute{'s' if minutes != 1 else ''}\n"
        # the banner comes before the [edit] line, as Junos prints it
        return "\n" + extra + edit_banner(self.edit, self.g.schema) + "\n" + self.prompt_line()

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

    # ---- execute ---------------------------------------------------------------------------
    def pipe_table(self, line: str):
        """`| compare` exists in configuration mode and after `show configuration`; elsewhere
        `| c` means `| count`."""
        if self.mode == "configuration":
            return msg.CONFIG_PIPE_NAMES
        command, _, rest = line.partition("|")
        if "compare" in rest.split("|")[-1]:
            return msg.CONFIG_PIPE_NAMES
        try:
            shows_config = parse_command(self.g.operational, command).handler == "op-show-configuration"
        except ParseError:
            shows_config = False
        return msg.CONFIG_PIPE_NAMES if shows_config else msg.PIPE_NAMES

    async def emit(self, text: str, pipes: list, io: SessionIO) -> None:
        """`| save FILE` writes the filtered output to the file (same path rule as `save`) and
        prints only how many lines it wrote."""
        save = next((p for p in pipes if p.kind == "save"), None)
        if save is None:
            return await super().emit(text, pipes, io)
        text = apply_text_pipes(text, pipes, self.screen_length, self.count_format)
        await super().emit(save_text(self, save.args[0], text, "output"), [], io)

    def after_error(self, io: SessionIO) -> None:
        if self.mode == "operational":
            io.write("\n")

    def parse_error(self, e: ParseError, io, offset: int = 0) -> None:
        """Report an error found in a sub-walk (a statement after `set`), columns of the line."""
        e.col += offset
        io.write(msg.error_text(e, len(self.prompt_line())))

    def starts_exchanges(self, line: str) -> bool:
        words = line.split()
        if words and "run".startswith(words[0]) and len(words[0]) >= 2 and self.mode == "configuration":
            try:
                match = parse_command(self.g.operational, " ".join(words[1:]).partition("|")[0])
            except ParseError:
                return False
            return match.handler in self.exchange_handlers
        return super().starts_exchanges(line)

    # ---- ? and Tab ---------------------------------------------------------------------------
    def tree_candidates(self, toks: list) -> tuple[list[Candidate], bool]:
        root = self.tree_root()
        special = find_special(root, toks)
        if special is not None:
            kind, rest = special
            return self._special_candidates(kind, rest)
        cands, executable = command_candidates(root, toks)
        return self._rollback_entries(cands), executable

    def _rollback_entries(self, cands: list[Candidate]) -> list[Candidate]:
        """`rollback ?` lists the numbered history entries with when and by whom, as Junos does,
        instead of a bare `<number>`."""
        out: list[Candidate] = []
        for c in cands:
            parent = c.node.parent if c.node is not None else None
            if c.is_value and parent is not None and parent.handler == "cfg-rollback":
                from .op_commands import fmt_time

                for i, entry in enumerate(self.device.store.history):
                    when = fmt_time(self, entry.when) if entry.when is not None else ""
                    out.append(Candidate(str(i), f"{when} by {entry.user} via {entry.client}".strip(), c.node))
                continue
            out.append(c)
        return out

    def _special_candidates(self, kind: str, toks: list) -> tuple[list[Candidate], bool]:
        if kind == "op-command":
            return command_candidates(self.g.operational, toks)
        start, base = self.edit_start()
        siblings = kind == "config-statement"  # `set` may go on with sibling statements
        try:
            cands, executable = statement_candidates(start, base, toks, siblings=siblings)
            path, node, phase = statement_position(start, base, toks, siblings=siblings)
        except ParseError:
            return [], False
        return cands + self._existing_keys(path, node, phase) + self._referenced(node, phase), executable

    def _referenced(self, node, phase) -> list[Candidate]:
        """Where a value names another statement (@ref), the names configured for it: `ike-policy ?`
        lists the IKE policies (Junos offers them; Tab completes them)."""
        if phase not in ("value", "values", "key") or node.ref is None:
            return []
        from .check import ref_keys

        return [Candidate(key, "", node, False, " ") for key in ref_keys(self.candidate, self.g.schema, node.ref)]

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

    def render_completions(self, cands: list[Candidate], executable: bool, pipe: bool) -> str:
        # configuration mode marks containers `>` and leaf-lists `+`
        return msg.completions(cands, executable, pipe, markers=self.mode == "configuration")
