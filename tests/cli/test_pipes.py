"""Pipe parsing (quotes, abbreviations, error columns) and the text filters."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routershell.cli.pipes import (
    CONFIG_PIPE_NAMES,
    PIPE_NAMES,
    PipeError,
    apply_text_pipes,
    split_pipes,
)

TEXT = "".join(f"{w}\n" for w in ("alpha 1", "Beta 2", "gamma 3", "beta 4", "delta 5"))


def kinds(line: str, **kw) -> list[str]:
    return [p.kind for p in split_pipes(line, **kw)[1]]


def test_plain_command_has_no_pipes() -> None:
    assert split_pipes("  show version  ") == ("show version", [])


def test_quoted_bar_is_not_a_pipe() -> None:
    cmd, pipes = split_pipes('show log messages | match "ike|ipsec" | count')
    assert cmd == "show log messages"
    assert [p.kind for p in pipes] == ["match", "count"]
    assert pipes[0].args == ("ike|ipsec",)
    assert pipes[0].column == len("show log messages | ")
    # the quoted | is regex alternation
    out = apply_text_pipes("IKE up\nipsec sa\nbgp\n", pipes[:1])
    assert out == "IKE up\nipsec sa\n"


def test_quote_inside_command_protects_bar() -> None:
    cmd, pipes = split_pipes('set system login message "a | b" | no-more')
    assert cmd == 'set system login message "a | b"'
    assert kinds('set x "a | b" | no-more') == ["no-more"]


def test_abbreviations() -> None:
    assert kinds("show x | m foo | ex bar | c | n | la 3 | f z | tr 2 | h") == [
        "match", "except", "count", "no-more", "last", "find", "trim", "hold"
    ]
    assert split_pipes("show x | d j")[1][0].args == ("json",)
    assert split_pipes("show x | disp inh b")[1][0].args == ("inheritance", "brief")
    assert split_pipes("show x | display xml rpc")[1][0].args == ("xml", "rpc")
    with pytest.raises(PipeError):
        split_pipes("show x | display xml rpcs")


def test_count_and_compare_are_ambiguous_in_configuration_mode() -> None:
    with pytest.raises(PipeError) as e:
        split_pipes("show | c", names=CONFIG_PIPE_NAMES)
    assert e.value.kind == "ambiguous"
    assert e.value.column == len("show | ")
    assert e.value.candidates == ("compare", "count")
    assert kinds("show | com", names=CONFIG_PIPE_NAMES) == ["compare"]


def test_unknown_pipe_reports_column() -> None:
    line = "show version | match x | frobnicate"
    with pytest.raises(PipeError) as e:
        split_pipes(line)
    assert e.value.kind == "syntax"
    assert e.value.column == line.index("frobnicate")
    assert e.value.token == "frobnicate"


@pytest.mark.parametrize(
    ("line", "kind", "token"),
    [
        ("show x | match", "missing-argument", ""),
        ("show x |", "missing-argument", ""),
        ("show x | match a b", "syntax", "b"),
        ("show x | count now", "syntax", "now"),
        ("show x | last zero", "invalid-value", "zero"),
        ("show x | last 0", "invalid-value", "0"),
        ("show x | trim -1", "invalid-value", "-1"),
        ("show x | display yaml", "syntax", "yaml"),
        ("show x | match (", "bad-regex", "("),
        ('show x | match "open', "unmatched-quote", '"'),
        ("show x | save", "missing-argument", ""),
    ],
)
def test_errors(line: str, kind: str, token: str) -> None:
    with pytest.raises(PipeError) as e:
        split_pipes(line, names=CONFIG_PIPE_NAMES)
    assert e.value.kind == kind
    assert e.value.token == token
    if kind == "missing-argument":
        assert e.value.column == len(line)
    else:
        assert line[e.value.column:].startswith(token)


def test_session_kinds_parsed() -> None:
    _, pipes = split_pipes(
        "show | display set | compare rollback 2 | compare | compare /var/tmp/a.conf | save out.txt",
        names=CONFIG_PIPE_NAMES,
    )
    assert [(p.kind, p.args, p.number) for p in pipes] == [
        ("display", ("set",), None),
        ("compare", ("rollback",), 2),
        ("compare", ("rollback",), 0),
        ("compare", ("/var/tmp/a.conf",), None),
        ("save", ("out.txt",), None),
    ]
    assert not any(p.is_text_filter for p in pipes)
    # and the text filters leave the text alone for them
    assert apply_text_pipes(TEXT, pipes) == TEXT


def run(line: str, text: str = TEXT, **kw) -> str:
    return apply_text_pipes(text, split_pipes(line)[1], **kw)


def test_match_except_case_insensitive() -> None:
    assert run("x | match beta") == "Beta 2\nbeta 4\n"
    assert run("x | except BETA") == "alpha 1\ngamma 3\ndelta 5\n"


def test_count_exact() -> None:
    assert run("x | count") == "Count: 5 lines\n"
    assert run("x | match beta | count") == "Count: 2 lines\n"
    assert run("x | match nothing | count") == "Count: 0 lines\n"
    assert run("x | count", text="") == "Count: 0 lines\n"


def test_last_find_trim() -> None:
    assert run("x | last 2") == "beta 4\ndelta 5\n"
    assert run("x | last 99") == TEXT
    assert run("x | last", screen_length=3) == "beta 4\ndelta 5\n"
    assert run("x | last") == TEXT
    assert run("x | find gam") == "gamma 3\nbeta 4\ndelta 5\n"
    assert run("x | find nothing") == ""
    assert run("x | trim 2") == "pha 1\nta 2\nmma 3\nta 4\nlta 5\n"


def test_chain_left_to_right() -> None:
    assert run("x | find beta | except 2 | last 1") == "delta 5\n"
    assert run("x | last 2 | match beta") == "beta 4\n"
    assert run("x | match beta | last 2 | count") == "Count: 2 lines\n"
    # count first: later filters see only its line
    assert run("x | count | match Count") == "Count: 5 lines\n"


def test_output_without_final_newline_is_normalised() -> None:
    assert run("x | match b", text="a\nb") == "b\n"


@given(st.text(alphabet='ab |"\\()[]*+?-0123456789 matchexcountlastfind', max_size=40))
def test_split_never_raises_anything_else(line: str) -> None:
    for names in (PIPE_NAMES, CONFIG_PIPE_NAMES):
        try:
            cmd, pipes = split_pipes(line, names=names)
        except PipeError as e:
            assert 0 <= e.column <= len(line)
        else:
            assert all(0 <= p.column < len(line) for p in pipes)


@given(st.lists(st.sampled_from(["ike up", "IKE down", "ipsec", "", "bgp 2"]), max_size=12),
       st.sampled_from(["ike", "^i", "2$", "e|p"]))
def test_match_and_except_partition_lines(lines: list[str], regex: str) -> None:
    text = "".join(f"{x}\n" for x in lines)
    kept = run(f'x | match "{regex}"', text=text).splitlines()
    dropped = run(f'x | except "{regex}"', text=text).splitlines()
    assert sorted(kept + dropped) == sorted(lines)
    assert run(f'x | match "{regex}" | count', text=text) == f"Count: {len(kept)} lines\n"


async def test_a_catastrophic_pattern_is_stopped_with_an_error(mock_clock):
    """Issue 18: `(.*.*)*=` froze the lab under Python's re; the regex engine answers it at
    once, and whatever still runs past the budget (here a budget of zero) is stopped with an
    error instead of freezing the lab."""
    from routershell.cli import patterns
    from tests.platforms.junos.harness import Transcript, lab

    async with lab(mock_clock) as app:
        t = Transcript(app)
        assert await t.run('show configuration | match "(.*.*)*=" | no-more') == ""
        patterns.BUDGET, saved = 0.0, patterns.BUDGET
        try:
            out = await t.run('show configuration | match "(.*.*)*=" | no-more')
            assert out == "error: regular expression too complex (matching was stopped)\n"
            assert t.session.failed
            out = await t.run('lab wait until "show configuration" matches "(x+x+)+y" timeout 2s')
            assert "too complex" in out
        finally:
            patterns.BUDGET = saved
        assert "host-name" in await t.run("show configuration | match host | no-more")


def test_rest_of_line_pipes_take_bars_and_blanks_into_their_regex():
    from routershell.cli.pipes import split_pipes as sp
    names = {"include": "match", "exclude": "except", "count": "count"}
    cmd, pipes = sp("show x | count | include down|not ", names, rest_of_line=("include",))
    assert cmd == "show x" and [p.kind for p in pipes] == ["count", "match"]
    assert pipes[1].args == ("down|not",)
    cmd, pipes = sp('show "a|b" | inc slot 2', names, rest_of_line=("include",))
    assert cmd == 'show "a|b"' and pipes[0].args == ("slot 2",)
    # without the table entry the old rule holds: one word, `|` separates
    try:
        sp("show x | include slot 2", names)
    except Exception as e:
        assert type(e).__name__ == "PipeError"
    else:
        raise AssertionError("a second word must be refused")
