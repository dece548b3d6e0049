"""Junos AS/MS PIC IPsec at 10,000 tunnels: commit time (checks, store, compile, TunnelManager
reconcile; `establish-tunnels on-traffic`, so no negotiation is counted) and the full text
render of `show services ipsec-vpn ipsec security-associations` (`| count` counts the rendered
lines; the SAs are built by hand so the figure is the render alone).

Goals (issue 6): commit < 1 s, render < 0.5 s. `commit_small_change_worst_of_3`: the slowest of
three commits of a one-line change that follow (each re-checks and recompiles the 10k terms).
The `_cpu` lines are the same commits in process CPU time (the machine may be shared).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's routershell

import trio
import trio.testing

from routershell.app import App
from routershell.cli.io import BufferIO
from routershell.config.tree import ConfigNode
from routershell.engine.proposals import IpsecProposal
from routershell.engine.sa import IpsecSa
from routershell.platforms.junos.config_text import parse
from routershell.platforms.junos.grammar import grammar
from routershell.runtime.ipsec import TunnelState

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000


def config_text(n: int) -> str:
    """One service set on sp-1/2/0, one rule with `n` terms, one remote gateway each."""
    terms = []
    for i in range(n):
        a, b = divmod(i, 250)
        terms.append(
            f"            term t{i} {{\n"
            f"                from {{ source-address 172.16.{a % 256}.{b}/32; destination-address 10.{a % 256}.{b}.0/24; }}\n"
            f"                then {{ remote-gateway 100.{64 + a // 256}.{a % 256}.{b + 1};"
            f" dynamic {{ ike-policy ike-pol; ipsec-policy ipsec-pol; }} }}\n"
            f"            }}\n")
    return f"""\
system {{ host-name r1; }}
interfaces {{
    ge-0/0/0 {{ unit 0 {{ family inet {{ address 192.0.2.1/24; }} }} }}
    sp-1/2/0 {{ unit 0 {{ family inet; }} }}
}}
services {{
    service-set big {{
        interface-service {{ service-interface sp-1/2/0; }}
        ipsec-vpn-options {{ local-gateway 192.0.2.1; }}
        ipsec-vpn-rules many;
    }}
    ipsec-vpn {{
        rule many {{
{''.join(terms)}            match-direction output;
        }}
        ike {{ policy ike-pol {{ mode main; pre-shared-key ascii-text "bench-key"; }} }}
        ipsec {{ policy ipsec-pol {{ }} }}
        establish-tunnels on-traffic;
    }}
}}
"""


class _States:
    """Stands in for the TunnelManager's read side: tunnels() with hand-built SAs."""

    def __init__(self, states: list[TunnelState]) -> None:
        self.states = states

    def tunnels(self) -> list[TunnelState]:
        return self.states

    def endpoint(self, local: str):
        return None


async def run(clock) -> dict[str, float]:
    figures: dict[str, float] = {}
    t0 = time.perf_counter()
    tree: ConfigNode = parse(config_text(N), grammar().schema)
    figures["config_parse_s"] = time.perf_counter() - t0
    app = App("virtual", trio_clock=clock)
    async with trio.open_nursery() as nursery:
        await app.start(nursery)
        dev = app.devices["r1"]
        session = app.new_session()
        io = BufferIO()
        await app.run(session, "configure", io)
        dev.store.set_candidate(tree, session.key)
        t0, c0 = time.perf_counter(), time.process_time()
        await app.run(session, "commit", io)
        figures["commit_s"] = time.perf_counter() - t0
        figures["commit_cpu_s"] = time.process_time() - c0
        assert io.text().rstrip().endswith("commit complete"), io.text()[-300:]
        figures["tunnels"] = len(dev.tunnels.tunnels())
        # the commits that follow: one small change each (the history fills with large trees)
        again, again_cpu = [], []
        for i in range(3):
            await app.run(session, f"set system host-name r{i + 2}", io)
            t0, c0 = time.perf_counter(), time.process_time()
            await app.run(session, "commit", io)
            again.append(time.perf_counter() - t0)
            again_cpu.append(time.process_time() - c0)
        figures["commit_again_s"] = max(again)
        figures["commit_again_cpu_s"] = max(again_cpu)
        await app.run(session, "exit", io)

        prop = IpsecProposal("esp", "3des", "hmac-sha1", None, 3600)
        states = []
        for i, spec in enumerate(dev.driver.ipsec_specs, 1):
            sa = IpsecSa((spec.peer.address, 500), spec.name, "initiator", prop, 0x10000000 + i, 0x20000000 + i, 1.0)
            states.append(TunnelState(spec, i, spec.peer.address, "primary", "up", None, [sa]))
        dev.tunnels = _States(states)
        start = len(io.text())
        t0 = time.perf_counter()
        await app.run(session, "show services ipsec-vpn ipsec security-associations | count", io)
        figures["render_count_s"] = time.perf_counter() - t0
        figures["rendered_lines"] = int(io.text()[start:].split("Count: ")[1].split()[0])
        start = len(io.text())
        t0 = time.perf_counter()
        await app.run(session, "show services ipsec-vpn ipsec security-associations | no-more", io)
        figures["render_full_s"] = time.perf_counter() - t0
        figures["output_bytes"] = len(io.text()) - start
        nursery.cancel_scope.cancel()
    await app.aclose()
    return figures


def main() -> None:
    clock = trio.testing.MockClock(autojump_threshold=0)
    f = trio.run(run, clock, clock=clock)
    print(f"tunnels: {int(f['tunnels'])} count")
    print(f"config_parse: {f['config_parse_s']:.3f} s")
    print(f"commit: {f['commit_s']:.3f} s")
    print(f"commit_small_change_worst_of_3: {f['commit_again_s']:.3f} s")
    print(f"commit_cpu: {f['commit_cpu_s']:.3f} s")
    print(f"commit_small_change_cpu_worst_of_3: {f['commit_again_cpu_s']:.3f} s")
    print(f"show_ipsec_sa_count: {f['render_count_s']:.3f} s")
    print(f"show_ipsec_sa_lines: {int(f['rendered_lines'])} lines")
    print(f"show_ipsec_sa_full: {f['render_full_s']:.3f} s")
    print(f"show_ipsec_sa_bytes: {int(f['output_bytes'])} bytes")


if __name__ == "__main__":
    main()
