"""KEYWORD=value command trees (grammar/keyvalue.py): capital-letter minimum abbreviations,
case-insensitive words and choices, parameters in any order, typed values, positioned errors."""

import pytest

from routershell.grammar.keyvalue import (
    abbreviation,
    kv_candidates,
    kv_tokenize,
    matches_word,
    parse_kv_command,
)
from routershell.grammar.loader import parse_grammar
from routershell.grammar.parser import ParseError
from routershell.grammar.schema import link_parents

TREE = link_parents(parse_grammar("""
CREate "Create" {
    ISAkmp "ISAKMP" {
        POLicy <name:string(1..23)> "Policy" => create-policy {
            PEer <peer:ip> (ANy "Any peer") "Peer" @mandatory;
            MSGBackoff (INCremental | NONE) "Back-off";
            MSGRetrylimit <limit:int(0..1024)> "Retries";
            RETRYIKEattempts <n:int(0..16)> (CONTinuous) "Attempts";
        }
    }
    IPSec "IPsec" {
        SASpecification <id:int(0..1023)> "Spec" => create-sas;
    }
}
SHow "Show" {
    ISAkmp "ISAKMP" => show-isakmp {
        SA <id:int(0..65535)> "SAs" @optional-value => show-sa;
    }
    IPSec "IPsec" {
        POLicy <name:string(1..23)> "Policies" @optional-value => show-policy { COUnter "Counters"; }
    }
}
LOGOFF "Log off" => logoff;
"""))


def err(line: str) -> ParseError:
    with pytest.raises(ParseError) as ei:
        parse_kv_command(TREE, line)
    return ei.value


def test_minimum_abbreviation_is_the_leading_capitals():
    assert abbreviation("CREate") == 3 and abbreviation("RETRYIKEattempts") == 8
    assert abbreviation("LOGOFF") == 6 and abbreviation("3DESOUTER") == 9
    assert matches_word("IPSec", "ips") and matches_word("IPSec", "IPSEC")
    assert not matches_word("IPSec", "ip") and not matches_word("IPSec", "ipsecx")


def test_any_case_any_order_canonical_values():
    a = parse_kv_command(TREE, "cre isa pol=vpn msgb=none peer=192.0.2.1 retryike=cont")
    b = parse_kv_command(TREE, "CREATE ISAKMP POLICY=vpn RETRYIKEATTEMPTS=CONTINUOUS PE=192.0.2.1 MSGBACKOFF=NONE")
    assert a.handler == b.handler == "create-policy"
    assert a.args == b.args == {"POLicy": "vpn", "PEer": "192.0.2.1", "MSGBackoff": "NONE",
                                "RETRYIKEattempts": "CONTinuous"}
    assert a.words == ["CREate", "ISAkmp", "POLicy"]
    assert parse_kv_command(TREE, "cre isa pol=x pe=ANY").args["PEer"] == "ANy"
    assert parse_kv_command(TREE, "cre isa pol=x pe=any retryike=16").args["RETRYIKEattempts"] == "16"


def test_quoted_values_keep_their_blanks():
    assert parse_kv_command(TREE, 'cre isa pol="head office" pe=any').args["POLicy"] == "head office"
    assert kv_tokenize('a="b c" d')[0].value == "b c"
    assert err('cre isa pol="open').kind == "unterminated-quote"


def test_optional_values_flags_and_subcommands():
    assert parse_kv_command(TREE, "sh isa").handler == "show-isakmp"
    m = parse_kv_command(TREE, "sh isa sa")
    assert (m.handler, m.args) == ("show-sa", {})
    assert parse_kv_command(TREE, "sh isa sa=7").args == {"SA": "7"}
    m = parse_kv_command(TREE, "sh ips pol=vpn cou")
    assert (m.handler, m.args) == ("show-policy", {"POLicy": "vpn", "COUnter": True})


@pytest.mark.parametrize("line,kind,col,token", [
    ("frob", "unknown-command", 0, "frob"),
    ("cr isa", "unknown-command", 0, "cr"),  # shorter than the capitals
    ("cre", "expecting-command", 4, "cre"),
    ("cre isa pol", "missing-value", 11, "pol"),
    ("cre isa pol=x", "missing-argument", 14, "PEer"),
    ("cre isa pol=x pe=1.2.3.4 msgr=5 msgr=6", "duplicate", 32, "msgr"),
    ("cre isa pol=x pe=1.2.3.4 frob=1", "syntax", 25, "frob"),
    ("cre isa pol=x pe=1.2.3.4 retryike=17", "invalid-value", 34, "17"),
    ("cre isa pol=x pe=nowhere", "invalid-value", 17, "nowhere"),
    ("cre isa pol=x pe=1.2.3.4 msgb=fast", "invalid-value", 30, "fast"),
    ("logoff=1", "unexpected-value", 7, "logoff"),
    ("cre isa pol=x pe=1.2.3.4 msg=1", "syntax", 25, "msg"),  # shorter than either minimum
])
def test_errors_carry_kind_column_and_token(line, kind, col, token):
    e = err(line)
    assert (e.kind, e.col, e.token) == (kind, col, token)


def test_range_error_keeps_the_value_error_and_parameter():
    e = err("cre isa pol=x pe=1.2.3.4 msgr=2000")
    assert e.value_error is not None and e.value_error.kind == "range"
    assert e.candidates[0].word == "MSGRetrylimit="


def test_tab_candidates():
    assert [c.word for c in kv_candidates(TREE, "sh isa ")] == ["SA="]
    assert [c.word for c in kv_candidates(TREE, "cre isa pol=x msgb=")] == ["INCremental", "NONE"]
    assert [c.word for c in kv_candidates(TREE, "cre isa pol=x pe=any msg")] == ["MSGBackoff=", "MSGRetrylimit="]
    assert kv_candidates(TREE, "frob ") == []
