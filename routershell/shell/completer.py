"""prompt_toolkit completer over CliSession.complete (pure: no I/O, testable alone)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from routershell.shell.words import partial_word


class Completes(Protocol):
    def complete(self, text: str) -> list[tuple[str, str, str]]: ...


class RouterCompleter(Completer):
    """Completions for the word under the cursor, from the session's grammar."""

    def __init__(self, session: Completes) -> None:
        self.session = session

    def candidates(self, text: str) -> list[tuple[str, str, str]]:
        """(replacement, display, help) for `text`; a broken grammar lookup yields none."""
        try:
            return list(self.session.complete(text))
        except Exception:  # completion must never take the prompt down
            return []

    def get_completions(self, document: Document,
                        complete_event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor
        start = -len(partial_word(text))
        for replacement, display, help_text in self.candidates(text):
            yield Completion(replacement, start_position=start, display=display or replacement,
                             display_meta=help_text)
