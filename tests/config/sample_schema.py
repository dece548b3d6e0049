"""A small Junos-shaped schema built directly from Node(...), shared by the config tests."""

from __future__ import annotations

from routershell.grammar.schema import Arg, Node, link_parents
from routershell.grammar.types import ValueType, parse_type


def _t(spec: str) -> ValueType:
    return parse_type(spec)


def c(word: str, *children: Node, **attrs: str) -> Node:
    """Container `word { ... }`."""
    return _with(Node(word, block=True, attrs=dict(attrs)), children)


def lst(word: str | None, arg: str, typ: str, *children: Node, **attrs: str) -> Node:
    """Keyed list `word <arg> { ... }` (word None = hidden keyword)."""
    return _with(Node(word, arg=Arg(arg, _t(typ)), block=True, attrs=dict(attrs)), children)


def leaf(word: str, typ: str = "string", **attrs: str) -> Node:
    return Node(word, arg=Arg("value", _t(typ)), attrs=dict(attrs))


def leaves(word: str, typ: str = "string", **attrs: str) -> Node:
    return Node(word, arg=Arg("value", _t(typ)), leaf_list=True, attrs=dict(attrs))


def enum(word: str, *choices: str, **attrs: str) -> Node:
    return Node(word, choices={ch: "" for ch in choices}, attrs=dict(attrs))


def flag(word: str, **attrs: str) -> Node:
    return Node(word, attrs=dict(attrs))


def _with(node: Node, children: tuple[Node, ...]) -> Node:
    for ch in children:
        if ch.word is None:
            node.positionals.append(ch)
        else:
            node.children[ch.word] = ch
    return node


def build_schema() -> Node:
    root = c(
        "",
        c(
            "system",
            leaf("host-name", "name"),
            c(
                "login",
                lst(
                    "user",
                    "name",
                    "name",
                    leaf("uid", "int(100..64000)"),
                    enum("class", "super-user", "operator", "read-only"),
                    c("authentication", leaf("encrypted-password", secret="")),
                ),
            ),
        ),
        c(
            "interfaces",
            lst(
                None,
                "interface-name",
                "name",
                leaf("description"),
                lst(
                    "unit",
                    "unit",
                    "int(0..16385)",
                    leaf("description"),
                    c(
                        "family",
                        c("inet", lst("address", "address", "ipv4prefix")),
                        c("inet6", lst("address", "address", "ipv6prefix")),
                        flat="",
                    ),
                ),
            ),
        ),
        c(
            "routing-options",
            c(
                "static",
                lst(
                    "route",
                    "prefix",
                    "ipv4network",
                    leaves("next-hop", "ipv4"),
                    leaf("preference", "int(0..255)"),
                    oneliner="",
                ),
            ),
        ),
        c(
            "services",
            c(
                "ipsec-vpn",
                flag("clear-ike-sas-on-pic-restart"),
                c(
                    "ike",
                    lst(
                        "proposal",
                        "name",
                        "name",
                        enum("authentication-method", "pre-shared-keys", "rsa-signatures"),
                        enum("dh-group", "group1", "group2", "group5", "group14"),
                        leaf("lifetime-seconds", "int(180..86400)"),
                        leaf("description"),
                    ),
                    lst(
                        "policy",
                        "name",
                        "name",
                        enum("mode", "main", "aggressive"),
                        leaves("proposals", "name"),
                        c(
                            "pre-shared-key",
                            leaf("ascii-text", secret="", choice="psk"),
                            leaf("hexadecimal", secret="", choice="psk"),
                            oneliner="",
                        ),
                    ),
                ),
                lst(
                    "rule",
                    "name",
                    "name",
                    lst(
                        "term",
                        "name",
                        "name",
                        c(
                            "then",
                            leaf("remote-gateway", "ip"),
                            leaf("backup-remote-gateway", "ip"),
                            flag("clear-dont-fragment-bit"),
                        ),
                        ordered="",
                    ),
                ),
            ),
        ),
        c("policy", leaves("proposals", "name")),
    )
    return link_parents(root)
