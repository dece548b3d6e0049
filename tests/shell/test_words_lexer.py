from pygments.token import Keyword, Name, Number, Operator, String

from routershell.shell.lexer import RouterLexer
from routershell.shell.words import help_request, in_quotes, partial_word


def test_partial_word_is_the_word_under_the_cursor():
    assert partial_word("show ver") == "ver"
    assert partial_word("show ") == ""
    assert partial_word("") == ""
    assert partial_word('set description "a b') == '"a b'


def test_quotes_and_help_requests():
    assert in_quotes('set description "what')
    assert not in_quotes('set description "what"')
    assert help_request("show ?") == "show "
    assert help_request("show v?") == "show v"
    assert help_request('set description "why?') is None
    assert help_request("show version") is None


def _tokens(line):
    return [(t, v) for t, v in RouterLexer().get_tokens(line) if v.strip()]


def test_lexer_classifies_router_syntax():
    toks = _tokens('set interfaces ge-0/0/0.0 address 10.0.0.1/24 mtu 1500 description "a | b"')
    assert toks[0] == (Keyword, "set")
    assert (Name.Variable, "ge-0/0/0.0") in toks
    assert (Name.Constant, "10.0.0.1/24") in toks
    assert (Number, "1500") in toks
    assert (String.Double, '"a | b"') in toks  # a pipe inside quotes is not a pipe


def test_lexer_pipes_ipv6_and_non_addresses():
    toks = _tokens("show route 2001:db8::/32 | match ge-0/0/1 | count")
    assert (Name.Constant, "2001:db8::/32") in toks
    assert toks.count((Operator, "|")) == 2
    assert (Keyword.Pseudo, "match") in toks and (Keyword.Pseudo, "count") in toks
    toks = _tokens("set x 10.0.0.1x 00:05:00")
    assert all(t is not Name.Constant for t, _ in toks)


def test_lexer_round_trips_any_text():
    line = 'show "unterminated | x ; ping  1.2.3.4 ;'
    assert "".join(v for _, v in RouterLexer().get_tokens(line)).rstrip("\n") == line
