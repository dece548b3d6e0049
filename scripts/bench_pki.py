"""Benchmarks for PKI: seeded RSA key generation per size, a PKCS#10 request, the lab CA
issuing a certificate, and the whole pki-enrollment lab (boot, both routers enrolled, the
rsa-signatures tunnel up) on the virtual clock.

Prints one `name: value unit` per line. Run by hand from the checkout:
`PYTHONPATH=. python scripts/bench_pki.py`.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from pathlib import Path

import trio
import trio.testing

from routershell.runtime import pki as rp
from routershell.runtime.ca import CaSpec, LabCa


def bench_keys() -> None:
    for bits, n in ((1024, 10), (2048, 5), (4096, 1)):
        t0 = time.perf_counter()
        for i in range(n):
            rp.generate_rsa_key(bits, random.Random(i))
        print(f"rsa_keygen_{bits}: {(time.perf_counter() - t0) / n * 1000:.0f} ms")


def bench_issue(n: int = 50) -> None:
    ca = LabCa(CaSpec("b", "b", "http://b"), lambda: datetime(2026, 1, 1, tzinfo=UTC), lambda: 0.0, random.Random(1))
    key = rp.generate_rsa_key(2048, random.Random(2))
    t0 = time.perf_counter()
    for _ in range(n):
        csr = rp.make_csr(key, rp.parse_subject("CN=r1,O=example,C=US"), ip="192.0.2.1")
        ca.issue(csr)
    print(f"csr_and_issue_2048: {(time.perf_counter() - t0) / n * 1000:.2f} ms")


def bench_lab() -> None:
    from routershell.app import App
    from routershell.cli.io import BufferIO

    async def main() -> None:
        app = App("virtual", trio_clock=clock, lab=Path(__file__).parents[1] / "routershell/labs/pki-enrollment.toml")
        async with trio.open_nursery() as n:
            await app.start(n)
            io = BufferIO()
            s = app.new_session()
            for dev in ("r1", "r2"):
                for line in (f"lab attach {dev}", "request security pki ca-certificate enroll ca-profile lab-ca",
                             f"request security pki generate-key-pair certificate-id {dev}-cert size 2048",
                             f'request security pki local-certificate enroll certificate-id {dev}-cert ca-profile lab-ca '
                             f'subject "CN={dev},O=example,C=US"'):
                    if "ca-certificate" in line:
                        io.feed("yes")
                    await app.run(s, line, io)
                    if s.switch_to is not None:
                        s = app.new_session()
            await app.run(s, "lab clock advance 2m", io)
            assert "Matured" in (await _show(app, s, io))
            n.cancel_scope.cancel()

    async def _show(app, s, io) -> str:
        start = len(io.text())
        await app.run(s, "show services ipsec-vpn ike security-associations", io)
        return io.text()[start:]

    clock = trio.testing.MockClock(autojump_threshold=0)
    t0 = time.perf_counter()
    trio.run(main, clock=clock)
    print(f"pki_lab_boot_enroll_tunnel: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    bench_keys()
    bench_issue()
    bench_lab()
