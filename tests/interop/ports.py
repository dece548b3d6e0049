"""Free UDP ports from the operating system, so that interop and bridge tests never depend on a
fixed port (500 may belong to a system IKE daemon, or to another test run under `pytest -n`)."""

from __future__ import annotations

import socket


def free_udp_ports(n: int, host: str = "0.0.0.0") -> list[int]:
    """`n` distinct UDP ports free on `host` (the wildcard by default: charon binds it), held
    together while the system picks them, so no two are the same."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_udp_pair(host: str = "0.0.0.0") -> int:
    """A port P with P and P + 1 both free (a bridge's IKE port and the NAT-T port beside it)."""
    for _ in range(500):
        (p,) = free_udp_ports(1, host)
        if p >= 65535:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((host, p + 1))
            return p
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no two consecutive free UDP ports")
