"""Grammar engine: abbreviation, ambiguity, caret columns, typed values, candidates."""

import pytest

from routershell.grammar.loader import GrammarError, parse_grammar
from routershell.grammar.parser import (
    ParseError,
    command_candidates,
    find_special,
    parse_command,
    parse_statement,
    statement_candidates,
    tokenize,
)
from routershell.grammar.schema import Kind, link_parents
from routershell.platforms.junos.grammar import grammar

G = grammar()


def err(fn, *a, **k) -> ParseError:
    with pytest.raises(ParseError) as ei:
        fn(*a, **k)
    return ei.value


def test_unique_prefix_abbreviation():
    assert parse_command(G.operational, "sh ver").handler == "op-show-version"
    assert parse_command(G.operational, "sh sys up").handler == "op-show-system-uptime"
    m = parse_command(G.operational, "sh conf system host-name")
    assert m.handler == "op-show-configuration"
    assert [t.text for t in m.rest["statement"]] == ["system", "host-name"]


def test_ambiguous_prefix_lists_the_choices():
    e = err(parse_command, G.operational, "s")
    assert e.kind == "ambiguous" and e.col == 0
    assert [c.word for c in e.candidates] == ["set", "show"]


def test_unknown_command_caret_column():
    e = err(parse_command, G.operational, "show foo")
    assert (e.kind, e.col, e.token) == ("unknown-command", 5, "foo")


def test_incomplete_and_extra_tokens():
    assert err(parse_command, G.operational, "show").kind == "expecting-command"
    e = err(parse_command, G.operational, "exit configuration-mode")
    assert (e.kind, e.col) == ("expecting-command", 5)
    e = err(parse_command, G.operational, "show version brief nonsense")
    assert (e.kind, e.col) == ("syntax", 19)


def test_options_any_order_and_values():
    m = parse_command(G.operational, "configure private exclusive")
    assert m.args == {"private": True, "exclusive": True}
    m = parse_command(G.operational, "ping 192.0.2.1 count 3 rapid")
    assert m.handler == "op-ping" and m.args["count"] == "3" and m.args["rapid"] is True
    assert parse_command(G.operational, "set cli complete-on-space of").args["value"] == "off"


def test_integer_ranges_and_missing_argument():
    e = err(parse_command, G.operational, "set cli screen-width 5000")
    assert e.kind == "invalid-value" and e.col == 21 and e.value_error.kind == "range"
    e = err(parse_command, G.operational, "set cli screen-width")
    assert e.kind == "missing-argument"
    e = err(parse_command, G.operational, "set cli screen-width abc")
    assert e.value_error.kind == "number"


def test_statement_paths_and_types():
    m = parse_statement(G.schema, (), tokenize("int ge-0/0/0 unit 0 family inet address 10.0.0.1/24"))
    assert m.path == (
        ("interfaces", None),
        ("<interface-name>", "ge-0/0/0"),
        ("unit", "0"),
        ("family", None),
        ("inet", None),
        ("address", "10.0.0.1/24"),
    )
    m = parse_statement(G.schema, (), tokenize("routing-options static route 10.1.2.3/16 next-hop 10.0.0.254"))
    assert m.path[-2] == ("route", "10.1.0.0/16") and m.values == ["10.0.0.254"]
    m = parse_statement(G.schema, (), tokenize('system login user bob full-name "Bob Smith"'))
    assert m.value == "Bob Smith" and m.node.kind == Kind.LEAF


def test_statement_errors():
    e = err(parse_statement, G.schema, (), tokenize("system host-name"))
    assert e.kind == "missing-argument" and e.col == 17
    e = err(parse_statement, G.schema, (), tokenize("system foo"))
    assert (e.kind, e.col) == ("syntax", 7)
    e = err(parse_statement, G.schema, (), tokenize("interfaces ge-0/0/0 unit 99999999999"))
    assert e.kind == "invalid-value" and e.col == 25
    e = err(parse_statement, G.schema, (), tokenize("interfaces ge-0/0/0 unit 0 family inet address 300.1.1.1/24"))
    assert e.value_error.kind == "prefix"


def test_leaf_list_brackets():
    toks = tokenize("routing-options static route 0/0 next-hop [ 10.0.0.1 10.0.0.2 ]".replace("0/0", "0.0.0.0/0"))
    m = parse_statement(G.schema, (), toks)
    assert m.values == ["10.0.0.1", "10.0.0.2"]
    e = err(parse_statement, G.schema, (), tokenize("routing-options static route 0.0.0.0/0 next-hop [ 10.0.0.1"))
    assert e.kind == "missing-argument"


def test_delete_allows_partial_statements():
    m = parse_statement(G.schema, (), tokenize("interfaces ge-0/0/0 unit"), need_value=False)
    assert m.list_all and m.node.word == "unit"
    m = parse_statement(G.schema, (), tokenize("system host-name"), need_value=False)
    assert m.path == (("system", None), ("host-name", None))


def test_candidates():
    cands, executable = command_candidates(G.operational, tokenize("show "))
    assert {"version", "configuration", "interfaces"} <= {c.word for c in cands} and not executable
    cands, executable = command_candidates(G.operational, tokenize("show version "))
    assert {c.word for c in cands} == {"brief", "detail"} and executable
    cands, _ = statement_candidates(G.schema, (), tokenize("system "))
    login = next(c for c in cands if c.word == "login")
    assert login.marker == ">" and login.help == "Configure user access to this router"
    cands, _ = statement_candidates(G.schema, (), tokenize("system host-name "))
    assert [c.word for c in cands] == ["<host-name>"]


def test_find_special_hands_over_statements():
    kind, rest = find_special(G.configuration, tokenize("set system host"))
    assert kind == "config-statement" and [t.text for t in rest] == ["system", "host"]
    kind, rest = find_special(G.configuration, tokenize("run show"))
    assert kind == "op-command"
    assert find_special(G.operational, tokenize("show version")) is None


def test_quotes_and_unterminated_quote():
    toks = tokenize('annotate system "a \\"quoted\\" note"')
    assert toks[-1].text == 'a "quoted" note' and toks[-1].quoted
    e = err(tokenize, 'set system host-name "oops')
    assert e.kind == "unterminated-quote" and e.col == 21


def test_grammar_file_errors_name_the_line():
    with pytest.raises(GrammarError, match="<t>:2"):
        parse_grammar('a "x" {\n  b <x:nosuchtype>;\n}', "<t>")
    with pytest.raises(GrammarError, match="missing"):
        parse_grammar('a "x" {\n  b;\n', "<t>")


def test_grammar_merges_containers_across_files():
    root = parse_grammar('a "A" { b "B"; }')
    parse_grammar('a "A" { c "C"; }', root=root)
    link_parents(root)
    assert list(root.children["a"].children) == ["b", "c"]
