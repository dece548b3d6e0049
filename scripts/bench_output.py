"""Output path costs: records -> json/xml, pipes over a long text, $9$ round trips."""

import random
import time

from routershell.cli.pipes import apply_text_pipes, split_pipes
from routershell.cli.records import Record, to_json, to_xml
from routershell.platforms.junos.secrets import decrypt9, encrypt9


def best(fn, n: int = 5) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    root = Record("ike-security-associations-information")
    for i in range(1000):
        sa = root.add("ike-security-associations", **{"junos:style": "brief"})
        sa.add("ike-sa-remote-address", f"10.0.{i // 256}.{i % 256}")
        sa.add("ike-sa-state", "UP")
        sa.add("ike-sa-initiator-cookie", f"{i:016x}")
    print(f"to_json_1000_sas: {best(lambda: to_json(root)) * 1e3:.2f} ms")
    print(f"to_xml_1000_sas: {best(lambda: to_xml(root)) * 1e3:.2f} ms")
    text = "".join(f"10.0.{i % 256}.1  UP  {i:016x}  Main\n" for i in range(20000))
    pipes = split_pipes('show x | match "UP|DOWN" | except 0000 | last 100')[1]
    print(f"pipes_20000_lines: {best(lambda: apply_text_pipes(text, pipes)) * 1e3:.2f} ms")
    rng = random.Random(1)
    plain = "correct-horse-battery-staple"
    n = 2000
    t = best(lambda: [decrypt9(encrypt9(plain, rng)) for _ in range(n)], 3)
    print(f"secret9_round_trip: {t / n * 1e6:.1f} us")


if __name__ == "__main__":
    main()
