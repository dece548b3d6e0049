# PLACEHOLDER — replaced by the lead's module on merge
"""Minimal stand-in for the lead's CliSession so the front-ends can run before it lands.

Only the interface matters here: prompt(), complete(), help(), execute(), set_notifier(),
closed. It knows a handful of commands so the front-end tests have something to drive.
"""

from __future__ import annotations

from collections.abc import Callable

from routershell.cli.io import SessionIO

_OPER = {
    "show": ("Show system information", {"version": "Show software process revision levels",
                                          "configuration": "Show current configuration"}),
    "configure": ("Manipulate software configuration information", {}),
    "exit": ("Exit the management session", {}),
    "quit": ("Exit the management session", {}),
}
_CONF = {
    "set": ("Set a parameter", {"system": "System parameters"}),
    "exit": ("Exit from this level", {}),
    "commit": ("Commit current set of changes", {}),
}


class CliSession:
    def __init__(self, user: str = "user", host: str = "r1") -> None:
        self.user, self.host = user, host
        self.closed = False
        self._config = False
        self._notify: Callable[[str], None] | None = None

    def _tree(self) -> dict:
        return _CONF if self._config else _OPER

    def prompt(self) -> str:
        if self._config:
            return f"\n[edit]\n{self.user}@{self.host}# "
        return f"{self.user}@{self.host}> "

    def _level(self, words: list[str]) -> dict[str, str] | None:
        tree = self._tree()
        if not words:
            return {k: v[0] for k, v in tree.items()}
        if len(words) == 1 and words[0] in tree:
            return tree[words[0]][1]
        return None

    def complete(self, text: str) -> list[tuple[str, str, str]]:
        words = text.split()
        partial = "" if text.endswith(" ") or not text else words.pop()
        level = self._level(words) or {}
        return [(k, k, h) for k, h in sorted(level.items()) if k.startswith(partial)]

    def help(self, text: str) -> str:
        found = self.complete(text)
        if not found:
            return "No valid completions\n"
        width = max(len(d) for _, d, _ in found)
        return "Possible completions:\n" + "".join(
            f"  {d:<{max(width, 20)}} {h}\n" for _, d, h in found)

    def set_notifier(self, cb: Callable[[str], None]) -> None:
        self._notify = cb

    async def execute(self, line: str, io: SessionIO) -> None:
        words = line.split()
        if not words:
            return
        cmd = words[0]
        if not self._config:
            if cmd in ("exit", "quit"):
                self.closed = True
            elif cmd == "configure":
                io.write("Entering configuration mode\n")
                self._config = True
            elif words[:2] == ["show", "version"]:
                io.write(f"Hostname: {self.host}\nModel: placeholder\n")
            else:
                io.write(f"{' ' * (len(self.prompt()) + line.find(cmd))}^\nunknown command.\n")
            return
        if cmd == "exit":
            io.write("Exiting configuration mode\n")
            self._config = False
        elif cmd == "commit":
            io.write("commit complete\n")
        elif cmd != "set":
            io.write("syntax error.\n")
