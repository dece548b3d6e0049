"""Served sessions under load: one `routershell --listen` process, real clients, wall time.

Prints one `name: value unit` per line:
- netmiko connect time (juniper_junos, median of 5) and `send_command('show version')` median,
- scrapli (juniper_junos, ssh2 transport) `send_input('show version')` median on one session,
- 100 concurrent scrapli sessions (async API, one asyncio loop), each running show commands and
  a configuration edit (configure private, set, show | compare, rollback 0): p50/p99 latency,
- the server's memory: idle, with the 100 sessions open, and per session (VmRSS of the process),
- a 100-device lab: time from starting the process to listening.

Usage: python scripts/bench_sessions.py [--sessions N] [--rounds N] [--profile FILE]

--profile FILE runs the server of the session benchmarks under cProfile (ROUTERSHELL_PROFILE,
server/host.py) and writes its stats to FILE (read them with `python -m pstats FILE`); the
figures are then the profiled server's, slower than without.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

USER, PASSWORD = "user", "lab123"  # the default lab's login (routershell/labs/default_r1.conf)
ROOT = Path(__file__).resolve().parent.parent


def start_server(*extra: str, profile: str | None = None) -> tuple[subprocess.Popen, int, float]:
    """(process, ssh port, seconds until it listened)."""
    env = dict(os.environ)
    if profile:
        env["ROUTERSHELL_PROFILE"] = str(Path(profile).resolve())
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "routershell", "--listen", "ssh:0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env=env)
    line = proc.stdout.readline()
    took = time.perf_counter() - t0
    m = re.search(r"on ssh [\d.]+:(\d+)", line)
    if not m:
        proc.kill()
        raise SystemExit(f"server did not start: {line}{proc.stderr.read()}")
    return proc, int(m.group(1)), took


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def bench_netmiko(port: int) -> None:
    from netmiko import ConnectHandler

    connects, cmds = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        conn = ConnectHandler(device_type="juniper_junos", host="127.0.0.1", port=port,
                              username=USER, password=PASSWORD)
        connects.append(time.perf_counter() - t0)
        for _ in range(4):
            t0 = time.perf_counter()
            conn.send_command("show version")
            cmds.append(time.perf_counter() - t0)
        conn.disconnect()
    print(f"netmiko_connect_median: {statistics.median(connects) * 1000:.0f} ms")
    print(f"netmiko_show_version_median: {statistics.median(cmds) * 1000:.1f} ms")


def _scrapli(port: int):
    from scrapli import AuthOptions, Cli, TransportSsh2Options

    return Cli("127.0.0.1", port=port, definition_file_or_name="juniper_junos",
               auth_options=AuthOptions(username=USER, password=PASSWORD),
               transport_options=TransportSsh2Options())


def bench_scrapli_one(port: int) -> None:
    conn = _scrapli(port)
    conn.open()
    times = []
    for _ in range(50):
        t0 = time.perf_counter()
        conn.send_input("show version")
        times.append(time.perf_counter() - t0)
    conn.close()
    print(f"scrapli_show_version_median: {statistics.median(times) * 1000:.1f} ms")


async def _session(port: int, n: int, rounds: int, lat: list[float], opened: asyncio.Event,
                   go: asyncio.Event, ready: list[int]) -> None:
    conn = _scrapli(port)
    await conn.open_async()
    ready.append(n)
    opened.set()
    await go.wait()
    try:
        for _ in range(rounds):
            for cmd in ("show version", "show interfaces terse", "show route summary"):
                t0 = time.perf_counter()
                await conn.send_input_async(cmd)
                lat.append(time.perf_counter() - t0)
            await conn.enter_mode_async("configuration_private")
            for cmd in (f"set snmp location s{n}", "show | compare", "rollback 0"):
                t0 = time.perf_counter()
                await conn.send_input_async(cmd, requested_mode="configuration_private")
                lat.append(time.perf_counter() - t0)
            await conn.enter_mode_async("exec")
    finally:
        await conn.close_async()


async def bench_concurrent(proc: subprocess.Popen, port: int, sessions: int, rounds: int) -> None:
    lat: list[float] = []
    ready: list[int] = []
    go = asyncio.Event()
    opened = asyncio.Event()
    idle = rss_mb(proc.pid)
    cpu0 = cpu_s(proc.pid)
    t0 = time.perf_counter()
    tasks = [asyncio.create_task(_session(port, i, rounds, lat, opened, go, ready))
             for i in range(sessions)]
    while len(ready) < sessions:
        await asyncio.sleep(0.05)
        if any(t.done() and t.exception() for t in tasks):
            break
    open_time = time.perf_counter() - t0
    loaded = rss_mb(proc.pid)
    cpu1 = cpu_s(proc.pid)
    mine1 = time.process_time()
    t0 = time.perf_counter()
    go.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    wall = time.perf_counter() - t0
    cpu2 = cpu_s(proc.pid)
    mine2 = time.process_time()
    failed = sum(1 for r in results if isinstance(r, BaseException))
    print(f"concurrent_sessions: {sessions} sessions")
    print(f"concurrent_sessions_failed: {failed} sessions")
    print(f"concurrent_open_all: {open_time * 1000:.0f} ms")
    print(f"concurrent_commands: {len(lat)} commands")
    print(f"concurrent_command_p50: {pct(lat, 50) * 1000:.1f} ms")
    print(f"concurrent_command_p99: {pct(lat, 99) * 1000:.1f} ms")
    print(f"concurrent_throughput: {len(lat) / wall:.0f} commands/s")
    print(f"server_cpu_per_login: {(cpu1 - cpu0) / sessions * 1000:.1f} ms")
    print(f"server_cpu_per_command: {(cpu2 - cpu1) / max(1, len(lat)) * 1000:.2f} ms")
    print(f"server_cpu_share_during_commands: {(cpu2 - cpu1) / wall * 100:.0f} %")
    # the load generator's own share of a core: near 100 % means the clients, not the
    # server, set the pace (the machine's other load shows in neither)
    print(f"client_cpu_share_during_commands: {(mine2 - mine1) / wall * 100:.0f} %")
    print(f"server_rss_idle: {idle:.1f} MB")
    print(f"server_rss_{sessions}_sessions: {loaded:.1f} MB")
    print(f"server_rss_per_session: {(loaded - idle) / sessions * 1024:.0f} KB")


def bench_big_lab(devices: int) -> None:
    conf = ("system { host-name %s; login { user user { class super-user; authentication { "
            'encrypted-password "$9$wEs4ZUDkmPQZG69pu1I"; } } } }\n')
    with tempfile.TemporaryDirectory() as d:
        lab = Path(d) / "big.toml"
        text = 'name = "big"\n'
        for i in range(devices):
            (Path(d) / f"r{i}.conf").write_text(conf.replace("%s", f"r{i}"))
            text += f'[devices.r{i}]\nplatform = "junos"\nconfig_file = "r{i}.conf"\n'
        lab.write_text(text)
        proc, _, took = start_server("--lab", str(lab))
        proc.terminate()
        proc.wait(10)
        # the same inside one interpreter: build the lab, boot it, open the listener
        sys.path.insert(0, str(ROOT))
        from routershell.app import App
        from routershell.server.host import ServerThread

        t0 = time.perf_counter()
        srv = ServerThread(App(clock_mode="real", lab=lab), ["ssh:0"]).start()
        inproc = time.perf_counter() - t0
        srv.stop()
    print(f"lab_{devices}_devices_listening: {took * 1000:.0f} ms")
    print(f"lab_{devices}_devices_listening_in_process: {inproc * 1000:.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--devices", type=int, default=100)
    ap.add_argument("--profile", metavar="FILE", help="profile the server, stats to FILE")
    args = ap.parse_args()
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    proc, port, took = start_server(profile=args.profile)
    try:
        print(f"default_lab_listening: {took * 1000:.0f} ms")
        bench_netmiko(port)
        bench_scrapli_one(port)
        asyncio.run(bench_concurrent(proc, port, args.sessions, args.rounds))
    finally:
        proc.send_signal(signal.SIGINT)  # SIGINT ends serving cleanly (the profile is written)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    bench_big_lab(args.devices)


if __name__ == "__main__":
    main()
