"""One quoting rule for the tokenizer, pipes and front-ends: double quotes, backslash escapes."""

from routershell.cli import quoting
from routershell.grammar.parser import tokenize
from routershell.shell.words import help_request, in_quotes, partial_word


def test_split_and_last_ignore_quoted_separators():
    line = 'show config | match "a|b" | count'
    assert [p for p, _ in quoting.split(line, "|")] == ["show config ", ' match "a|b" ', " count"]
    assert [c for _, c in quoting.split(line, "|")] == [0, 13, 27]
    assert quoting.last(line, "|") == 26
    assert quoting.last('x "|"', "|") is None


def test_open_quote_and_escapes_agree_with_the_tokenizer():
    assert quoting.open_quote('set x "a \\" b') == 6
    assert quoting.open_quote('set x "a \\" b"') is None
    assert tokenize('set x "a \\" b"')[-1].text == 'a " b'


def test_an_apostrophe_is_not_a_quote():
    # Junos quotes with double quotes only: `don't?` still asks for help, and the word is whole
    assert not in_quotes("set system login message don't")
    assert help_request("set system login message don't?") == "set system login message don't"
    assert partial_word("set system login message don't") == "don't"
