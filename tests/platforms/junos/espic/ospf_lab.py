"""Two Junos routers on one LAN segment running OSPF with an IPsec transport SA (a lab built in
the test; `key2` lets r2's SA differ from r1's)."""

from __future__ import annotations

from routershell.labs.labfile import parse_lab

SA = """    ipsec {{
        security-association sa1 {{
            mode transport;
            manual {{
                direction bidirectional {{
                    protocol ah;
                    spi {spi};
                    authentication {{
                        algorithm hmac-md5-96;
                        key ascii-text "{key}";
                    }}
                }}
            }}
        }}
    }}"""


def router(n: int, spi: int = 256, key: str = "1234567890abcdef", sa: bool = True) -> str:
    sec = f"security {{\n{SA.format(spi=spi, key=key)}\n}}\n" if sa else ""
    ipsec = "                ipsec-sa sa1;\n" if sa else ""
    return f"""system {{
    host-name r{n};
}}
interfaces {{
    ge-0/0/1 {{
        unit 0 {{
            family inet {{
                address 10.0.12.{n}/24;
            }}
        }}
    }}
    lo0 {{
        unit 0 {{
            family inet {{
                address 10.255.0.{n}/32;
            }}
        }}
    }}
}}
{sec}protocols {{
    ospf {{
        area 0.0.0.0 {{
            interface ge-0/0/1.0 {{
{ipsec}            }}
        }}
    }}
}}
"""


def lab_text(r1: str, r2: str) -> str:
    def dev(name: str, conf: str) -> str:
        return (f'[devices.{name}]\nplatform = "junos"\nmodel = "m7i"\n'
                f'ports = ["ge-0/0/0", "ge-0/0/1", "fxp0", "lo0"]\nconfig = """\n{conf}"""\n')
    return 'name = "ospf-ipsec"\n' + dev("r1", r1) + dev("r2", r2)


def ospf_lab(r2_spi: int = 256, r2_key: str = "1234567890abcdef", r2_sa: bool = True):
    return parse_lab(lab_text(router(1), router(2, r2_spi, r2_key, r2_sa)), "ospf-ipsec.toml")
