"""Write a lab with one Junos router and N IPsec tunnels, each to its own simulated gateway.

    PYTHONPATH=. python scripts/big_lab.py 2000 /tmp/big [LIFETIME]   # big.toml + r1.conf

Used by scripts/bench_echo.py (keystroke echo while tunnels negotiate) and handy to try the
shell at scale (`routershell --lab /tmp/big/big.toml --clock x60`). Term i protects
172.16.1.0/24 <-> 10.(i // 250).(i % 250).0/24 through gateway 198.18.(i // 250).(i % 250 + 1);
every gateway answers DPD, with a PSK shared by all.
"""

from __future__ import annotations

import sys
from pathlib import Path

HEAD = """version 9.3R4.4;
system {
    host-name r1;
    syslog {
        file messages {
            any notice;
        }
    }
}
interfaces {
    ge-0/0/0 {
        unit 0 {
            family inet {
                service {
                    input {
                        service-set vpn;
                    }
                    output {
                        service-set vpn;
                    }
                }
                address 192.0.2.1/24;
            }
        }
    }
    ge-0/0/1 {
        unit 0 {
            family inet {
                address 172.16.1.1/24;
            }
        }
    }
    sp-1/2/0 {
        unit 0 {
            family inet;
        }
    }
}
services {
    service-set vpn {
        interface-service {
            service-interface sp-1/2/0;
        }
        ipsec-vpn-options {
            local-gateway 192.0.2.1;
        }
        ipsec-vpn-rules big;
    }
    ipsec-vpn {
        rule big {
"""

TERM = """            term t{i} {{
                from {{
                    source-address 172.16.1.0/24;
                    destination-address {lan};
                }}
                then {{
                    remote-gateway {gw};
                    dynamic {{
                        ike-policy ike-big;
                        ipsec-policy ipsec-big;
                    }}
                }}
            }}
"""

TAIL = """            match-direction output;
        }
        ike {
            proposal ike-p {
                authentication-method pre-shared-keys;
                authentication-algorithm sha1;
                dh-group group2;
                encryption-algorithm 3des-cbc;
                lifetime-seconds 28800;
            }
            policy ike-big {
                mode main;
                proposals ike-p;
                pre-shared-key ascii-text "lab-secret";
            }
        }
        ipsec {
            proposal esp-p {
                protocol esp;
                authentication-algorithm hmac-sha1-96;
                encryption-algorithm 3des-cbc;
                lifetime-seconds LIFETIME;
            }
            policy ipsec-big {
                proposals esp-p;
            }
        }
        establish-tunnels immediately;
    }
}
"""

PEER = """[[peers]]
address = "{gw}"
psk = "lab-secret"
ike = [{{ auth = "psk", hash = "sha1", cipher = "3des", dh_group = 2, lifetime_s = 28800 }}]
ipsec = [{{ protocol = "esp", cipher = "3des", auth = "hmac-sha1", lifetime_s = {lifetime} }}]
local_ts = "{lan}"
remote_ts = "172.16.1.0/24"
latency = "10ms"
"""


def gateway(i: int) -> str:
    return f"198.18.{i // 250}.{i % 250 + 1}"


def lan(i: int) -> str:
    return f"10.{i // 250}.{i % 250}.0/24"


def write_lab(n: int, directory: Path, lifetime: int = 3600) -> Path:
    """Write big.toml and r1.conf for n tunnels into directory; return the lab file.
    `lifetime`: IPsec SA lifetime in seconds (short ones keep the tunnels rekeying)."""
    directory.mkdir(parents=True, exist_ok=True)
    conf = (HEAD + "".join(TERM.format(i=i, lan=lan(i), gw=gateway(i)) for i in range(n))
            + TAIL.replace("LIFETIME", str(lifetime)))
    (directory / "r1.conf").write_text(conf)
    lab = [f'name = "big-{n}"', f'description = "r1 with {n} tunnels"', "",
           "[devices.r1]", 'platform = "junos"', 'config_file = "r1.conf"',
           'ports = ["ge-0/0/0", "ge-0/0/1", "fxp0", "lo0"]', "",
           "[[devices.r1.modules]]", 'slot = "1/2"', 'name = "sp-1/2/0"', 'kind = "services"',
           "capacity = 0", ""]
    lab += [PEER.format(gw=gateway(i), lan=lan(i), lifetime=lifetime) for i in range(n)]
    path = directory / "big.toml"
    path.write_text("\n".join(lab))
    return path


if __name__ == "__main__":
    print(write_lab(int(sys.argv[1]), Path(sys.argv[2]), *map(int, sys.argv[3:4])))
