"""Key bindings of the rich shell: `?` help and device-style Tab (and optional space).

`?` prints the prompt, the line so far and "?", then the session's help, above the prompt,
and keeps the line being typed (the line is redrawn, as on the device). Inside a quoted string
`?` is just a character. Tab completes a unique candidate (adding a space), extends the common
prefix of several, or lists them when it cannot extend (the echo line then shows the line as
typed, without a `?` nobody typed). All synchronous, so fast typing never loses a Tab
(our measurements of prompt_toolkit with trio as guest: prompt_toolkit's async completion did).

Line editing as the Junos CLI User Guide's "CLI keyboard sequences" table has it: Ctrl-U and
Ctrl-X delete all characters of the command line (wherever the cursor is); Ctrl-Z has no binding
(it neither suspends the shell nor inserts a character).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Protocol

from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.filters import Condition
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.shortcuts import print_formatted_text

from routershell.shell.completer import RouterCompleter
from routershell.shell.words import in_quotes, partial_word


class HelpSession(Protocol):
    def prompt(self) -> str: ...
    def complete(self, text: str) -> list[tuple[str, str, str]]: ...
    def help_body(self, text: str) -> str: ...


def _prompt_line(session: HelpSession) -> str:
    # prompt_toolkit erases the whole prompt, banner ("[edit]") included, while it prints
    # above it, so the echo repeats the banner as the device's screen shows it.
    return session.prompt().lstrip("\n")


def _print_above(text: str) -> None:
    run_in_terminal(lambda: print_formatted_text(text, end=""))


def show_help(session: HelpSession, buf: Buffer, mark: str = "?") -> None:
    """Print the echo line (prompt, the line, `mark`) and the session's help above the prompt."""
    text = buf.document.text_before_cursor
    try:
        body = session.help_body(text)
    except Exception:  # help must never take the prompt down
        body = ""
    _print_above(f"{_prompt_line(session)}{buf.text}{mark}\n{body}")


def complete_word(session: HelpSession, buf: Buffer, *, list_if_stuck: bool = True) -> bool:
    """Device-style completion of the word before the cursor. True if the buffer changed."""
    text = buf.document.text_before_cursor
    word = partial_word(text)
    cands = RouterCompleter(session).candidates(text)
    if not cands:
        return False
    if len(cands) == 1:
        repl = cands[0][0]
        if not repl.endswith(" ") and not in_quotes(repl):
            repl += " "
    else:
        repl = os.path.commonprefix([c[0] for c in cands])
        if len(repl) <= len(word):
            if list_if_stuck:
                show_help(session, buf, mark="")
            return False
    buf.delete_before_cursor(len(word))
    buf.insert_text(repl)
    return True


def router_key_bindings(session: HelpSession,
                        complete_on_space: Callable[[], bool] = lambda: False) -> KeyBindings:
    kb = KeyBindings()

    @kb.add("?")
    def _help(event: KeyPressEvent) -> None:
        buf = event.current_buffer
        if in_quotes(buf.document.text_before_cursor):
            buf.insert_text("?")
        else:
            show_help(session, buf)

    @kb.add("tab")
    def _tab(event: KeyPressEvent) -> None:
        complete_word(session, event.current_buffer)

    @kb.add(" ", filter=Condition(lambda: complete_on_space()))
    def _space(event: KeyPressEvent) -> None:
        buf = event.current_buffer
        text = buf.document.text_before_cursor
        word = partial_word(text)
        exact = any(c[0] == word for c in RouterCompleter(session).candidates(text))
        if word and not exact and not in_quotes(text) and complete_word(
                session, buf, list_if_stuck=False):
            if buf.document.text_before_cursor.endswith(" "):
                return
        buf.insert_text(" ")

    @kb.add("c-u")
    @kb.add("c-x", eager=True)  # eager: not the prefix of Emacs' Ctrl-X chords
    def _kill_line(event: KeyPressEvent) -> None:
        buf = event.current_buffer
        buf.delete(len(buf.document.text_after_cursor))
        buf.delete_before_cursor(len(buf.document.text_before_cursor))

    @kb.add("c-z")
    def _nothing(event: KeyPressEvent) -> None:
        pass

    return kb
