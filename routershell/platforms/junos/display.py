"""Junos `| display xml` / `| display json`: the Junos envelope around a command's record.

The generic renderers live in routershell.cli.records; only Junos strings are here.
"""

from __future__ import annotations

from routershell.cli import records
from routershell.cli.records import Record


def namespace(junos_version: str, module: str = "junos") -> str:
    """Namespace URL Junos puts on replies, e.g. module "junos-kmd" for IKE/IPsec output."""
    return f"http://xml.juniper.net/junos/{junos_version}/{module}"


def to_xml(record: Record, junos_version: str) -> str:
    """`<rpc-reply xmlns:junos=...>` + the record + `<cli><banner></banner></cli>`, as the CLI
    prints it (4 spaces a level, as in transcripts of `show version | display xml rpc`)."""
    reply = Record(
        "rpc-reply",
        attrs={"xmlns:junos": namespace(junos_version)},
        children=[record, Record("cli", children=[Record("banner", "")])],
    )
    return records.to_xml(reply)


def rpc_xml(record: Record, junos_version: str, line: str) -> str:
    """`| display xml rpc`: the RPC a show command is (rpcs.py), with its flags as empty
    elements and an interface name as <interface-name>, in the rpc-reply envelope."""
    from .rpcs import FLAGS, RPC_OF_RECORD

    name = RPC_OF_RECORD.get(record.tag, "get-" + record.tag)
    rpc = Record(name)
    words = line.split("|", 1)[0].split()
    for w in words[2:]:
        if w in FLAGS and not (name == "get-route-summary-information" and w == "summary"):
            rpc.add(w)
        elif name == "get-interface-information" and w not in FLAGS:
            rpc.add("interface-name", w)
    reply = Record(
        "rpc-reply",
        attrs={"xmlns:junos": namespace(junos_version)},
        children=[Record("rpc", children=[rpc]), Record("cli", children=[Record("banner", "")])],
    )
    return records.to_xml(reply)


def to_json(record: Record) -> str:
    """`| display json`: the record alone; Junos adds no envelope to JSON output."""
    return records.to_json(record)
