"""A commit of many rule terms does its per-term work once: each reference holder is resolved
once per check, and errors still come in configured order (issue 6: commit < 1 s at 10k terms)."""

from __future__ import annotations

import pytest

from routershell.platforms.junos import check as junos_check
from routershell.platforms.junos.grammar import grammar

from .helpers import tree


def terms_config(n: int, *, numbered_ike: bool = True, inactive: tuple[int, ...] = ()) -> str:
    """One service set, one rule of `n` terms (one remote gateway each), like scripts/bench_show.py;
    term i names IKE policy ike-pol<i> (`numbered_ike`, only 0 and 2 exist) or ike-pol0."""
    terms = "".join(
        f"{'inactive: ' if i in inactive else ''}term t{i} {{ from {{ source-address 172.16.0.{i}/32; }}"
        f" then {{ remote-gateway 100.64.0.{i + 1}; dynamic {{ ike-policy ike-pol{i if numbered_ike else 0}; ipsec-policy ipsec-pol; }} }} }}\n"
        for i in range(n))
    return f"""
interfaces {{ ge-0/0/0 {{ unit 0 {{ family inet {{ address 192.0.2.1/24; }} }} }} sp-1/2/0 {{ unit 0 {{ family inet; }} }} }}
services {{
    service-set big {{ interface-service {{ service-interface sp-1/2/0; }} ipsec-vpn-options {{ local-gateway 192.0.2.1; }} ipsec-vpn-rules many; }}
    ipsec-vpn {{
        rule many {{ {terms} match-direction output; }}
        ike {{ policy ike-pol0 {{ pre-shared-key ascii-text "k"; }} policy ike-pol2 {{ pre-shared-key ascii-text "k"; }} }}
        ipsec {{ policy ipsec-pol {{ }} }}
    }}
}}
"""


def test_undefined_references_reported_in_configured_order_inactive_skipped() -> None:
    schema = grammar().schema
    errors = junos_check.check_config(tree(terms_config(5, inactive=(3,))), schema)
    dyn = lambda i: (("services", None), ("ipsec-vpn", None), ("rule", "many"), ("term", f"t{i}"),  # noqa: E731
                     ("then", None), ("dynamic", None))
    refs = [(e.path, e.statement, e.message) for e in errors if e.message.startswith("Referenced")]
    assert refs == [
        (dyn(1), "ike-policy ike-pol1", "Referenced ike policy 'ike-pol1' is not defined"),
        (dyn(4), "ike-policy ike-pol4", "Referenced ike policy 'ike-pol4' is not defined"),
    ]


def test_each_reference_holder_is_resolved_once_per_check(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = grammar().schema
    config = tree(terms_config(200, numbered_ike=False))
    calls: list[tuple[str, ...]] = []
    real = junos_check._ref_holder

    def counting(root, sc, ref):
        calls.append(ref)
        return real(root, sc, ref)

    monkeypatch.setattr(junos_check, "_ref_holder", counting)
    errors = junos_check.check_config(config, schema)
    assert [e for e in errors if e.message.startswith("Referenced")] == []
    # ike-policy, ipsec-policy (and the service set's rule) — not one per term
    assert len(calls) == len(set(calls)) <= 4


async def test_a_commit_reads_the_ipsec_configuration_once(mock_clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compile after a commit takes the view the commit check read of the same tree; a
    `commit check` alone hands nothing on, and the compile still sees a later change."""
    from routershell.platforms.junos.ipsec import config as ipsec_config

    from ..harness import Transcript, lab
    from .helpers import load

    reads: list[object] = []
    real = ipsec_config.read

    def counting(t):
        reads.append(t)
        return real(t)

    monkeypatch.setattr(ipsec_config, "read", counting)
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await load(t, terms_config(3, numbered_ike=False))
        assert await t.run("commit check") == "configuration check succeeds\n"
        reads.clear()
        assert await t.run("commit") == "commit complete\n"
        dev = app.devices["r1"]
        big = lambda d: [s.name for s in d.driver.ipsec_specs if s.name.startswith("big/")]  # noqa: E731
        assert reads == [dev.store.active]
        assert big(dev) == ["big/many/t0", "big/many/t1", "big/many/t2"]
        # a checked tree that is not committed is not handed on: the next compile reads afresh
        await t.run("delete services ipsec-vpn rule many term t1")
        assert await t.run("commit check") == "configuration check succeeds\n"
        await t.run("rollback 0")
        reads.clear()
        assert await t.run("commit") == "commit complete\n"
        assert len(reads) == 1 and big(dev) == ["big/many/t0", "big/many/t1", "big/many/t2"]
        await t.run("delete services ipsec-vpn rule many term t1")
        assert await t.run("commit") == "commit complete\n"
        assert big(dev) == ["big/many/t0", "big/many/t2"]


def test_compile_works_out_service_set_labels_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every term's spec carries its service set's PIC/module/VRF labels, worked out once per
    service set (not per term), in the same label order."""
    from routershell.platforms.junos.ipsec import compile as ipsec_compile

    calls: list[str] = []
    real = ipsec_compile.service_set_pic

    def counting(ss):
        calls.append(ss.name)
        return real(ss)

    monkeypatch.setattr(ipsec_compile, "service_set_pic", counting)
    specs = ipsec_compile.compile_specs(tree(terms_config(50, numbered_ike=False)))
    assert len(specs) == 50 and len(calls) <= 2
    assert list(specs[7].labels.items()) == [
        ("service-set", "big"), ("rule", "many"), ("term", "t7"), ("match-direction", "output"), ("pic", "1/2"),
        ("module", "sp-1/2/0"), ("routing-instance", ""), ("inside-interface", "")]


def test_selectors_one_pair_one_side_and_the_product() -> None:
    """A term's traffic selectors: its one pair, a missing side as 0.0.0.0/0, every
    source x destination pair when several are configured, none without either."""
    from routershell.platforms.junos.ipsec.compile import compile_specs

    text = terms_config(4, numbered_ike=False)
    text = text.replace("term t1 { from { source-address 172.16.0.1/32; }",
                        "term t1 { from { destination-address 10.1.0.0/16; }")
    text = text.replace("term t2 { from { source-address 172.16.0.2/32; }",
                        "term t2 { from { source-address [ 172.16.0.2/32 172.16.9.0/24 ]; destination-address [ 10.2.0.0/16 10.3.0.0/16 ]; }")
    text = text.replace("term t3 { from { source-address 172.16.0.3/32; }", "term t3 {")
    specs = {s.name: s for s in compile_specs(tree(text))}
    assert specs["big/many/t0"].selectors == (("172.16.0.0/32", "0.0.0.0/0"),)
    assert specs["big/many/t1"].selectors == (("0.0.0.0/0", "10.1.0.0/16"),)
    assert specs["big/many/t2"].selectors == (("172.16.0.2/32", "10.2.0.0/16"), ("172.16.0.2/32", "10.3.0.0/16"),
                                              ("172.16.9.0/24", "10.2.0.0/16"), ("172.16.9.0/24", "10.3.0.0/16"))
    assert specs["big/many/t2"].child.local_ts == "172.16.0.2/32" and specs["big/many/t2"].child.remote_ts == "10.2.0.0/16"
    assert specs["big/many/t3"].selectors == () and specs["big/many/t3"].child.local_ts is None


def test_a_view_checked_in_one_thread_is_not_taken_in_another() -> None:
    """Served labs may run in threads of one process: the checked view is kept per thread."""
    import threading

    from routershell.platforms.junos.ipsec import config as ipsec_config

    t = tree("services { ipsec-vpn { rule r { term t { then { remote-gateway 198.51.100.1; } } match-direction input; } } }")
    views = []
    worker = threading.Thread(target=lambda: views.append(ipsec_config.read_for_check(t)))
    worker.start()
    worker.join()
    mine = ipsec_config.take_checked(t)
    assert mine is not views[0] and mine == views[0]  # read afresh here, the same content
    ipsec_config.read_for_check(t)
    assert ipsec_config.take_checked(t) is not None
