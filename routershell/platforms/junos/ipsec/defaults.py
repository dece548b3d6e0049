"""Junos 9.x AS/MS PIC defaults and key tables, each value with the place it comes from.

Sources (the Junos 9.3 Services Interfaces Configuration Guide, seed 002): [V] read in the documentation, [U] reconstructed —
Table 55 gives only the lifetimes as verified; the other values are the common Junos ones.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Default:
    path: str  # statement path under [edit services ipsec-vpn]
    value: str
    source: str


# Table 55, "IKE and IPsec Proposal and Policy Default Values for the AS and MultiServices PICs".
TABLE_55: tuple[Default, ...] = (
    Default("ike proposal authentication-method", "pre-shared-keys", "Table 55 [U] (seed 002 note: pre-shared-keys is a preset value)"),
    Default("ike proposal authentication-algorithm", "sha1", "Table 55 [U]"),
    Default("ike proposal dh-group", "group1", "Table 55 [U]"),
    Default("ike proposal encryption-algorithm", "3des-cbc", "Table 55 [U]"),
    Default("ike proposal lifetime-seconds", "3600", "Table 55 [V] J7"),
    Default("ike policy mode", "main", "Table 55 [U]"),
    Default("ike policy proposals", "default", "Table 55 [U]: the default IKE proposal"),
    Default("ipsec proposal protocol", "esp", "Table 55 [U]"),
    Default("ipsec proposal authentication-algorithm", "hmac-sha1-96", "Table 55 [U]"),
    Default("ipsec proposal encryption-algorithm", "3des-cbc", "Table 55 [U]"),
    Default("ipsec proposal lifetime-seconds", "28800", "Table 55 [V] J7"),
    Default("ipsec policy proposals", "default", "Table 55 [U]: the default IPsec proposal"),
    Default("ipsec policy perfect-forward-secrecy keys", "group2", "Table 55 [U] (only when PFS is configured)"),
    Default("establish-tunnels", "immediately", "Junos 9.x default [U]"),
)

# Table 56, "Default IKE and IPSec Proposals for Dynamic SA Negotiations" (values [U]; the table
# and the proxy-pair default are [V] J9). Offers a dynamic peer may pick from, in this order.
TABLE_56_IKE = {
    "authentication-method": ("pre-shared-keys",),
    "authentication-algorithm": ("sha1", "md5"),
    "dh-group": ("group2", "group1"),
    "encryption-algorithm": ("3des-cbc", "des-cbc", "aes-128-cbc", "aes-192-cbc", "aes-256-cbc"),
    "lifetime-seconds": ("3600",),
}
TABLE_56_IPSEC = {
    "protocol": ("esp",),
    "authentication-algorithm": ("hmac-sha1-96", "hmac-md5-96"),
    "encryption-algorithm": ("3des-cbc", "des-cbc", "aes-128-cbc", "aes-192-cbc", "aes-256-cbc"),
    "lifetime-seconds": ("28800",),
}
DEFAULT_PROXY_PAIR = ("0.0.0.0/0", "0.0.0.0/0")  # (remote, local): ANY(0.0.0.0/0)-ANY [V] J9
TABLE_56_SOURCE = "Table 56 [U] (J9: the table exists; proxy default ANY(0.0.0.0/0)-ANY is [V])"

LIFETIME_RANGE = (180, 86400)  # lifetime-seconds, both proposals [V] J7

# Manual SA SPI ranges (Junos: spi 256..16639; auxiliary-spi 0..65535) [U].
SPI_RANGE = (256, 16639)
AUX_SPI_RANGE = (0, 65535)

# Table 53, "Authentication and Encryption Key Lengths" (bits; ASCII characters = bits/8, hex
# digits = bits/4) [U as to the values: the standard key sizes].
KEY_BITS = {
    "hmac-md5-96": 128,
    "hmac-sha1-96": 160,
    "des-cbc": 64,
    "3des-cbc": 192,
    "aes-128-cbc": 128,
    "aes-192-cbc": 192,
    "aes-256-cbc": 256,
}

# Table 54, "Weak and Semiweak Keys" for DES (hex, parity bits included) [U as to layout].
WEAK_KEYS = ("0101010101010101", "1F1F1F1F0E0E0E0E", "E0E0E0E0F1F1F1F1", "FEFEFEFEFEFEFEFE")
SEMIWEAK_PAIRS = (
    ("01FE01FE01FE01FE", "FE01FE01FE01FE01"),
    ("1FE01FE00EF10EF1", "E01FE01FF10EF10E"),
    ("01E001E001F101F1", "E001E001F101F101"),
    ("1FFE1FFE0EFE0EFE", "FE1FFE1FFE0EFE0E"),
    ("011F011F010E010E", "1F011F010E010E01"),
    ("E0FEE0FEF1FEF1FE", "FEE0FEE0FEF1FEF1"),
)

# Engine names for the Junos enumerations.
IKE_CIPHER = {"des-cbc": "des", "3des-cbc": "3des", "aes-128-cbc": "aes128", "aes-192-cbc": "aes192", "aes-256-cbc": "aes256"}
IKE_HASH = {"md5": "md5", "sha1": "sha1", "sha256": "sha256"}
IKE_AUTH = {"pre-shared-keys": "psk", "rsa-signatures": "rsa-sig"}
DH_GROUP = {"group1": 1, "group2": 2}
IPSEC_AUTH = {"hmac-md5-96": "hmac-md5", "hmac-sha1-96": "hmac-sha1"}

# Seed 001 backup-remote-gateway constants (the table): poll, inactivity, hello timing,
# phase 1 timeout, failover cap.
POLL_INTERVAL = 10.0
INACTIVITY = 10.0
HELLO_RETRIES = 2
HELLO_INTERVAL = 2.0
PHASE1_TIMEOUT = 30.0
MAX_FAILOVERS = 6


def table55(path: str) -> str:
    for d in TABLE_55:
        if d.path == path:
            return d.value
    raise KeyError(path)
