"""Junos XML API names of the operational commands routershell prints: the RPC each show is
(`show … | display xml rpc`), the command NETCONF runs for it, and the record it returns.
Names follow the Junos XML API Operational Developer Reference where it lists the command;
`usp-…`/services names for the AS/MS PIC shows are that reference's services RPCs."""

from __future__ import annotations

# (rpc, command, the root tag of the command's record)
RPCS: tuple[tuple[str, str, str], ...] = (
    ("get-software-information", "show version", "software-information"),
    ("get-interface-information", "show interfaces", "interface-information"),
    ("get-route-summary-information", "show route summary", "route-summary-information"),
    ("get-route-information", "show route", "route-information"),
    ("get-chassis-inventory", "show chassis hardware", "chassis-inventory"),
    ("get-route-engine-information", "show chassis routing-engine", "route-engine-information"),
    ("file-list", "file list", "directory-list"),
    ("get-pic-information", "show chassis fpc pic-status", "fpc-information"),
    ("get-system-users-information", "show system users", "system-users-information"),
    ("get-system-uptime-information", "show system uptime", "system-uptime-information"),
    ("get-commit-information", "show system commit", "commit-information"),
    ("get-services-ike-security-associations-information",
     "show services ipsec-vpn ike security-associations", "ike-security-associations-information"),
    ("get-services-security-associations-information",
     "show services ipsec-vpn ipsec security-associations",
     "services-security-associations-information"),
    ("get-services-ipsec-statistics-information", "show services ipsec-vpn ipsec statistics",
     "usp-ipsec-total-statistics-information"),
    ("get-service-set-summary-information", "show services service-sets summary",
     "service-set-summary-information"),
    ("get-service-set-statistics-information", "show services service-sets statistics",
     "service-set-statistics-information"),
    ("get-services-ipsec-certificates-information", "show services ipsec-vpn certificates",
     "certificate-information"),
    ("get-cli-settings", "show cli", "cli-settings"),
)

RPC_COMMANDS: dict[str, str] = {rpc: command for rpc, command, _ in RPCS}
RPC_OF_RECORD: dict[str, str] = {tag: rpc for rpc, _, tag in RPCS}
# the command line words an RPC's child elements stand for
FLAGS = frozenset({"terse", "brief", "detail", "extensive", "summary"})
