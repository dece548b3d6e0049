"""Two Junos routers with ES PIC es- tunnels to each other over a manual SA (a lab built in the
test; r2's key or SPI can differ from r1's), and a traffic flow between the networks behind."""

from __future__ import annotations

from routershell.labs.labfile import parse_lab

KEY = "12345678901234567890"


def router(n: int, spi: int = 16000, key: str = KEY) -> str:
    me, peer = (1, 2) if n == 1 else (2, 1)
    return f"""system {{
    host-name r{n};
}}
interfaces {{
    ge-0/0/0 {{
        unit 0 {{
            family inet {{
                address 192.0.2.{me}/24;
            }}
        }}
    }}
    es-0/0/0 {{
        unit 0 {{
            tunnel {{
                source 192.0.2.{me};
                destination 192.0.2.{peer};
            }}
            family inet {{
                ipsec-sa sa-es;
                address 10.0.0.{me}/30;
            }}
        }}
    }}
}}
firewall {{
    filter to-tunnel {{
        term t {{
            from {{
                source-address {{
                    10.{me}.0.0/16;
                }}
                destination-address {{
                    10.{peer}.0.0/16;
                }}
            }}
            then ipsec-sa sa-es;
        }}
    }}
}}
security {{
    ipsec {{
        security-association sa-es {{
            mode tunnel;
            manual {{
                direction bidirectional {{
                    protocol esp;
                    spi {spi};
                    authentication {{
                        algorithm hmac-sha1-96;
                        key ascii-text "{key}";
                    }}
                    encryption {{
                        algorithm 3des-cbc;
                        key ascii-text "123456789012345678901234";
                    }}
                }}
            }}
        }}
    }}
}}
"""


def es_lab(r2_spi: int = 16000, r2_key: str = KEY):
    def dev(name: str, conf: str) -> str:
        return (f'[devices.{name}]\nplatform = "junos"\nmodel = "m20"\n'
                f'ports = ["ge-0/0/0", "ge-0/0/1", "fxp0", "lo0"]\nconfig = """\n{conf}"""\n')
    text = ('name = "es-manual"\n' + dev("r1", router(1)) + dev("r2", router(2, r2_spi, r2_key))
            + '[[traffic]]\nname = "lan"\nfrom = "10.1.0.10"\nto = "10.2.0.10"\nrate = 10\n')
    return parse_lab(text, "es-manual.toml")


def dynamic_router(n: int, psk: str = "lab-secret") -> str:
    """`router(n)` with the SA made dynamic: IKE policy named by the peer's address."""
    peer = 2 if n == 1 else 1
    text = router(n)
    start = text.index("security {")
    return text[:start] + f"""security {{
    ike {{
        proposal ike-p {{
            authentication-method pre-shared-keys;
            authentication-algorithm sha1;
            encryption-algorithm 3des-cbc;
            dh-group group2;
        }}
        policy 192.0.2.{peer} {{
            mode main;
            proposals ike-p;
            pre-shared-key ascii-text "{psk}";
        }}
    }}
    ipsec {{
        proposal esp-p {{
            protocol esp;
            authentication-algorithm hmac-sha1-96;
            encryption-algorithm 3des-cbc;
        }}
        policy ipsec-pol {{
            proposals esp-p;
        }}
        security-association sa-es {{
            mode tunnel;
            dynamic {{
                ipsec-policy ipsec-pol;
            }}
        }}
    }}
}}
"""


def es_dynamic_lab(r2_psk: str = "lab-secret"):
    def dev(name: str, conf: str) -> str:
        return (f'[devices.{name}]\nplatform = "junos"\nmodel = "m20"\n'
                f'ports = ["ge-0/0/0", "ge-0/0/1", "fxp0", "lo0"]\nconfig = """\n{conf}"""\n')
    text = ('name = "es-dynamic"\n' + dev("r1", dynamic_router(1)) + dev("r2", dynamic_router(2, r2_psk))
            + '[[traffic]]\nname = "lan"\nfrom = "10.1.0.10"\nto = "10.2.0.10"\nrate = 10\n')
    return parse_lab(text, "es-dynamic.toml")
