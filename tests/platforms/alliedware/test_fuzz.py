"""No input escapes an AlliedWare command line as an exception: the parser raises only
ParseError, and the executor always answers with text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from routershell.grammar.keyvalue import kv_candidates, parse_kv_command
from routershell.grammar.parser import ParseError
from routershell.platforms.alliedware.operations import Executor, tree
from routershell.platforms.alliedware.router import Router
from routershell.runtime.device import Device

from .helpers import BASE

WORDS = ["create", "set", "destroy", "show", "isakmp", "ipsec", "policy=vpn", "peer=any",
         "retryike=17", "msgb=none", "sa=1", 'string="1 and 2"', "enco", "key=1", "=", '"',
         "interface=eth0", "action=ipsec", "bundle=1", "counters=spd", "config=x.cfg", "logoff"]
line = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=8).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(line)
def test_parser_raises_only_parse_errors(text):
    try:
        parse_kv_command(tree(), text)
    except ParseError:
        pass
    kv_candidates(tree(), text)


@settings(max_examples=300, deadline=None)
@given(st.lists(line, max_size=4))
def test_executor_always_answers(lines):
    r = Router(Device("r", "alliedware"))
    ex = Executor(r)
    assert ex.run_script(BASE.replace("{isakmp}", "")) == []
    for text in lines:
        assert isinstance(ex.run(text), str)
