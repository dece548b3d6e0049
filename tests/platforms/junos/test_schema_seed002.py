"""Schema forms seed 002 writes that the AS/MS PIC schema once refused (issue 17 #8)."""

from __future__ import annotations

from routershell.platforms.junos import config_text
from routershell.platforms.junos.check import check_config
from routershell.platforms.junos.grammar import grammar
from routershell.platforms.junos.ipsec.compile import compile_specs

from .ipsec.helpers import conf

SCHEMA = grammar().schema


def _tree(text: str):
    result = config_text.parse_load(text, SCHEMA)
    assert not result.errors, [e.format() for e in result.errors]
    return result.tree


def test_leaf_list_block_form_loads_like_the_bracket_form():
    block = _tree("policy-options { policy-statement p { term t { from { protocol { static; direct; } } } } }")
    bracket = _tree("policy-options { policy-statement p { term t { from { protocol [ static direct ]; } } } }")
    assert config_text.render(block, SCHEMA) == config_text.render(bracket, SCHEMA)
    assert "protocol [ static direct ];" in config_text.render(block, SCHEMA)


def test_several_source_addresses_are_all_selectors_phase_2_proposes_the_first():
    text = conf("interface_service.conf").replace(
        "source-address 172.16.1.0/24;", "source-address { 172.16.1.0/24; 172.16.9.0/24; }")
    (spec,) = compile_specs(_tree(text))
    assert spec.selectors == (("172.16.1.0/24", "172.16.2.0/24"), ("172.16.9.0/24", "172.16.2.0/24"))
    assert (spec.child.local_ts, spec.child.remote_ts) == ("172.16.1.0/24", "172.16.2.0/24")


def test_communities_and_a_policy_without_terms():
    tree = _tree("""policy-options {
    policy-statement exp { then { community add c1; accept; } }
    policy-statement imp { term t { from community c1; then accept; } }
    community c1 members target:100:20;
}""")
    text = config_text.render(tree, SCHEMA)
    assert "        then {\n            community add c1;\n            accept;\n        }\n" in text
    assert "    community c1 members target:100:20;\n" in text
    assert check_config(tree, SCHEMA) == []
    undefined = _tree("policy-options { policy-statement imp { term t { from community nosuch; } } }")
    assert [e.message for e in check_config(undefined, SCHEMA)] == ["Referenced policy-options community 'nosuch' is not defined"]


def test_crl_url_password_auto_re_enrollment_and_rib_groups_round_trip():
    text = """security {
    pki {
        auto-re-enrollment {
            certificate-id c1 {
                ca-profile ca1;
                re-generate-keypair;
                validity-period 365;
            }
        }
        ca-profile ca1 {
            ca-identity ca1;
            revocation-check {
                crl {
                    url ldap://ca.example.net/crl {
                        password secret;
                    }
                }
            }
        }
    }
}
routing-options {
    rib-groups {
        fbf {
            import-rib [ inet.0 forwarding.inet.0 ];
        }
    }
}
"""
    tree = _tree(text)
    assert config_text.render(tree, SCHEMA, secret_suffix=False) == text
    assert check_config(tree, SCHEMA) == []
