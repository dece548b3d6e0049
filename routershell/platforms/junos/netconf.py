"""Junos NETCONF (Junos XML management protocol over the `netconf` SSH subsystem).

The server (server/netconf.py) frames messages; this module speaks Junos: the hello and
capabilities, and each RPC answered by a hidden CLI session of the connecting user, so an
operational RPC returns exactly the record the CLI renders as `| display xml` and a
configuration RPC goes through the same candidate, locks and commit checks as the CLI.

RPCs: the operational ones in RPC_COMMANDS, `command` (PyEZ's `dev.cli`), `get-configuration`
(format text/set/xml, database committed/candidate, compare="rollback" for diffs),
`load-configuration` (action merge/replace/override/set with text or set; XML for merge and
replace; `rollback="N"`), `commit-configuration` (check, confirmed + confirm-timeout, log
comment), `lock`/`unlock` and `lock-configuration`/`unlock-configuration` (configure
exclusive), `open-configuration`/`close-configuration` (private), `discard-changes` and
`close-session`. Anything else gets an rpc-error naming the element.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from . import rpcs

BASE_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
JUNOS_NS = "http://xml.juniper.net/junos/{version}/junos"
CAPABILITIES = (
    "urn:ietf:params:xml:ns:netconf:base:1.0",
    "urn:ietf:params:xml:ns:netconf:capability:candidate:1.0",
    "urn:ietf:params:xml:ns:netconf:capability:confirmed-commit:1.0",
    "urn:ietf:params:xml:ns:netconf:capability:validate:1.0",
    "urn:ietf:params:xml:ns:netconf:capability:url:1.0?protocol=http,ftp,file",
    "http://xml.juniper.net/netconf/junos/1.0",
    "http://xml.juniper.net/dmi/system/1.0",
)

# RPC name -> the CLI command whose record answers it (rpcs.py, the same table `| display
# xml rpc` prints from). Child elements become words: an empty element its own name,
# `interface-name`, `destination` and `peer-address` just their text.
RPC_COMMANDS = dict(rpcs.RPC_COMMANDS)
RPC_COMMANDS["get-log"] = "show log messages"
_POSITIONAL = {"interface-name", "destination", "peer-address", "filename", "path"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _strip_ns(elem: ET.Element) -> ET.Element:
    for e in elem.iter():
        e.tag = _local(e.tag)
        e.attrib = {_local(k): v for k, v in e.attrib.items()}
    return elem


class _HiddenIO:
    """SessionIO feeding `load … terminal` its lines; collects the output."""

    echo = False
    interactive = False

    def __init__(self, lines: list[str] | None = None) -> None:
        self.text = ""
        self._lines = list(lines or [])

    def write(self, t: str) -> None:
        self.text += t

    async def read_line(self, prompt: str = "") -> str | None:
        if prompt:
            self.text += prompt
        return self._lines.pop(0) if self._lines else None

    async def read_key(self, prompt: str = "") -> str:
        return "q"


class RpcError(Exception):
    def __init__(self, message: str, *, bad: str = "", tag: str = "operation-failed") -> None:
        super().__init__(message)
        self.message = message
        self.bad = bad
        self.tag = tag


class JunosNetconf:
    """One NETCONF session: a hidden CLI session of the user does the work."""

    def __init__(self, device, session, run) -> None:
        self.device = device
        self.session = session  # a session of the user (client "netconf"), made by the server
        self.run = run  # App.run: a line with the settle wait a front-end gives it
        self.version = device.facts.get("version", "9.3R4.4")

    # ---- framing-independent pieces ---------------------------------------------------------
    def hello(self, session_id: int) -> str:
        caps = "".join(f"    <capability>{c}</capability>\n" for c in CAPABILITIES)
        return ("<!-- No zombies were killed during the creation of this user interface -->\n"
                f"<!-- user {self.session.user}, class super-user -->\n"
                f'<hello xmlns="{BASE_NS}">\n  <capabilities>\n{caps}  </capabilities>\n'
                f"  <session-id>{session_id}</session-id>\n</hello>\n")

    def close(self) -> None:
        self.session.close()

    async def rpc(self, text: str) -> tuple[str, bool]:
        """(the rpc-reply, whether the session ends after it)."""
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            return self._reply({}, self._error("syntax error, expecting <rpc>", tag="malformed-message")), False
        attrs = {k: v for k, v in root.attrib.items()}
        if _local(root.tag) != "rpc" or len(root) == 0:
            return self._reply(attrs, self._error("syntax error, expecting <rpc>", tag="malformed-message")), False
        op = _strip_ns(root[0])
        name = op.tag
        if name == "close-session":
            return self._reply(attrs, "<ok/>"), True
        try:
            body = await self._dispatch(name, op)
        except RpcError as e:
            body = self._error(e.message, bad=e.bad, tag=e.tag)
        return self._reply(attrs, body), False

    def _reply(self, attrs: dict, body: str) -> str:
        extra = "".join(f' {k}="{escape(v, {chr(34): "&quot;"})}"' for k, v in attrs.items()
                        if not k.startswith("{") and k != "xmlns")
        ns = JUNOS_NS.format(version=self.version)
        return (f'<rpc-reply xmlns="{BASE_NS}" xmlns:junos="{ns}"{extra}>\n{body}'
                f"{'' if body.endswith(chr(10)) else chr(10)}</rpc-reply>\n")

    @staticmethod
    def _error(message: str, *, bad: str = "", tag: str = "operation-failed") -> str:
        info = f"<error-info>\n<bad-element>{escape(bad)}</bad-element>\n</error-info>\n" if bad else ""
        return ("<rpc-error>\n<error-type>protocol</error-type>\n"
                f"<error-tag>{tag}</error-tag>\n<error-severity>error</error-severity>\n"
                f"<error-message>\n{escape(message)}\n</error-message>\n{info}</rpc-error>\n")

    # ---- the CLI underneath --------------------------------------------------------------
    async def _cli(self, line: str, lines: list[str] | None = None) -> str:
        io = _HiddenIO(lines)
        await self.run(self.session, line, io)
        return io.text

    def _operational(self, command: str) -> str:
        """An operational command wherever the hidden session stands (RPCs have no modes)."""
        lab = self.session.lab is not None and self.session.lab.claims(command)
        return ("run " + command) if self.session.mode == "configuration" and not lab else command

    async def _records(self, command: str) -> str:
        """The command's `| display xml` records, without the CLI's envelope."""
        text = await self._cli(self._operational(command) + " | display xml")
        if self.session.failed or not text.lstrip().startswith("<"):
            raise RpcError(_first_error(text), bad=command)
        root = ET.fromstring(text)
        return "".join(ET.tostring(_strip_ns(c), encoding="unicode") for c in root
                       if _local(c.tag) != "cli")

    async def _config_mode(self, how: str = "") -> None:
        if self.session.mode != "configuration":
            out = await self._cli(f"configure {how}".strip())
            if self.session.mode != "configuration":
                raise RpcError(out.strip() or "configuration database locked", tag="lock-denied")

    async def _dispatch(self, name: str, op: ET.Element) -> str:
        if name in RPC_COMMANDS:
            words = [RPC_COMMANDS[name]]
            for c in op:
                if c.text and c.text.strip():
                    words.append(c.text.strip() if c.tag in _POSITIONAL else f"{c.tag} {c.text.strip()}")
                elif c.tag not in ("normalize",):
                    words.append(c.tag)
            return await self._records(" ".join(words))
        if name == "command":
            command = (op.text or "").strip()
            if op.get("format", "xml") == "text":
                text = await self._cli(self._operational(command))
                if self.session.failed:
                    raise RpcError(_first_error(text), bad=command)
                return f"<output>\n{escape(text)}</output>\n"
            return await self._records(command)
        handler = getattr(self, "_rpc_" + name.replace("-", "_"), None)
        if handler is None:
            raise RpcError("syntax error", bad=name, tag="operation-not-supported")
        return await handler(op)

    # ---- configuration RPCs ------------------------------------------------------------
    async def _rpc_get_configuration(self, op: ET.Element) -> str:
        from .config_text import render as render_text
        from .config_text import render_set

        if op.get("compare") == "rollback":
            await self._config_mode()
            out = await self._cli(f"show | compare rollback {int(op.get('rollback', '0') or 0)}")
            return ("<configuration-information>\n<configuration-output>\n"
                    f"{escape(out)}</configuration-output>\n</configuration-information>\n")
        store = self.device.store
        candidate = op.get("database", "candidate") == "candidate"
        tree = store.candidate(self.session.key) if candidate else store.active
        path: list = []
        node = op.find("configuration")
        while node is not None and len(node) == 1:  # a subtree filter: one element per level
            node = node[0]
            path.append(node.tag)
        sub = _subtree(tree, path)
        fmt = op.get("format", "xml")
        schema = self.session.g.schema
        if fmt == "text":
            return f"<configuration-text>\n{escape(render_text(sub, schema))}</configuration-text>\n"
        if fmt == "set":
            return f"<configuration-set>\n{escape(render_set(sub, schema))}</configuration-set>\n"
        return config_xml(tree, self.version)

    async def _rpc_load_configuration(self, op: ET.Element) -> str:
        await self._config_mode()
        rollback = op.get("rollback")
        if rollback is not None:
            out = await self._cli(f"rollback {rollback}")
            if self.session.failed or "load complete" not in out:
                raise RpcError(_first_error(out))
            return "<load-configuration-results>\n<load-success/>\n</load-configuration-results>\n"
        action = op.get("action", "merge")
        xml_el = op.find("configuration")
        if xml_el is not None and op.find("configuration-text") is None:
            if action not in ("merge", "set", "replace"):  # replace: elements marked replace="replace"
                raise RpcError(f"action {action} needs format text (configuration-text)",
                               bad=action)
            lines = xml_to_set(xml_el)
            out = await self._cli("load set terminal", lines)
            if "load complete" not in out:
                raise RpcError(_first_error(out))
            return "<load-configuration-results>\n<load-success/>\n</load-configuration-results>\n"
        text_el = op.find("configuration-text")
        set_el = op.find("configuration-set")
        if set_el is not None or action == "set":
            body = (set_el if set_el is not None else text_el)
            action = "set"
        else:
            body = text_el
        if body is None or body.text is None:
            raise RpcError("syntax error, expecting <configuration-text> or <configuration-set>",
                           bad="load-configuration")
        if action not in ("merge", "replace", "override", "set"):
            raise RpcError(f"invalid action: {action}", bad=action)
        out = await self._cli(f"load {action} terminal", body.text.splitlines())
        if "load complete" not in out:
            raise RpcError(_first_error(out))
        return "<load-configuration-results>\n<load-success/>\n</load-configuration-results>\n"

    async def _rpc_commit_configuration(self, op: ET.Element) -> str:
        await self._config_mode()
        words = ["commit"]
        if op.find("check") is not None:
            words = ["commit", "check"]
        elif op.find("confirmed") is not None:
            words.append("confirmed")
            timeout = op.findtext("confirm-timeout")
            if timeout:
                words.append(timeout.strip())
        comment = op.findtext("log")
        if comment and words[1:2] != ["check"]:
            words.append('comment "' + comment.replace('"', "'") + '"')
        out = await self._cli(" ".join(words))
        if words[1:2] == ["check"]:
            if "configuration check succeeds" not in out:
                raise RpcError(_first_error(out))
            return "<commit-results>\n<routing-engine>\n<name>re0</name>\n<commit-check-success/>\n</routing-engine>\n</commit-results>\n"
        if "commit complete" not in out:
            raise RpcError(_first_error(out))
        return "<commit-results>\n<routing-engine>\n<name>re0</name>\n<commit-success/>\n</routing-engine>\n</commit-results>\n"

    async def _rpc_lock(self, op: ET.Element) -> str:
        await self._lock()
        return "<ok/>"

    async def _rpc_lock_configuration(self, op: ET.Element) -> str:
        await self._lock()
        return ""

    async def _lock(self) -> None:
        if self.session.mode == "configuration" and self.session.database == "exclusive":
            return
        if self.session.mode == "configuration":
            await self._cli("exit configuration-mode", ["yes"])
        await self._config_mode("exclusive")

    async def _rpc_unlock(self, op: ET.Element) -> str:
        await self._unlock()
        return "<ok/>"

    async def _rpc_unlock_configuration(self, op: ET.Element) -> str:
        await self._unlock()
        return ""

    async def _unlock(self) -> None:
        if self.session.mode == "configuration":
            await self._cli("exit configuration-mode", ["yes"])

    async def _rpc_open_configuration(self, op: ET.Element) -> str:
        await self._config_mode("private" if op.find("private") is not None else "")
        return ""

    async def _rpc_close_configuration(self, op: ET.Element) -> str:
        await self._unlock()
        return ""

    async def _rpc_discard_changes(self, op: ET.Element) -> str:
        await self._config_mode()
        out = await self._cli("rollback 0")
        if self.session.failed:
            raise RpcError(_first_error(out))
        return "<ok/>"


def _first_error(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and ln.strip() != "^"]
    for ln in lines:
        if ln.startswith("error:"):
            return ln[len("error:"):].strip()
    return lines[-1] if lines else "error"


def _subtree(tree, path: list[str]):
    """The configuration below a chain of container names (no keys), re-rooted; the whole
    tree when a name is not found."""
    from ...config.tree import ConfigNode

    node = tree
    for name in path:
        nxt = node.children.get((name, None))
        if nxt is None:
            return tree
        node = nxt
    if node is tree:
        return tree
    root = ConfigNode()
    cur = root
    for name in path[:-1]:
        child = ConfigNode(name)
        cur.children[(name, None)] = child
        cur = child
    cur.children[(path[-1], None)] = node
    return root


def _element_name(name: str) -> str:
    """`<interface-name>` (a positional key in the schema) -> `interface`."""
    if name.startswith("<"):
        name = name.strip("<>").removesuffix("-name")
    return name


def _word(text: str) -> str:
    return f'"{text}"' if (not text or any(c in text for c in ' ;{}#"')) else text


def xml_to_set(config: ET.Element) -> list[str]:
    """Junos XML configuration as `set`/`delete` lines (the inverse of config_xml): a list
    entry is its tag and <name> (an interface just its name), a leaf its tag and text, an
    empty element its tag; operation="delete" deletes, replace="replace" deletes before it
    sets (load replace), inactive="inactive" is skipped."""
    lines: list[str] = []

    def walk(elem: ET.Element, words: list[str], parent: str, keyed: bool = False) -> None:
        for child in elem:
            tag = _local(child.tag)
            if child.get("inactive") == "inactive" or (keyed and tag == "name"):
                continue
            name = child.find("name")
            if name is not None and name.text:
                here = words + ([] if (tag, parent) == ("interface", "interfaces") else [tag])
                here = here + [_word(name.text.strip())]
            else:
                here = words + [tag]
            rest = [c for c in child if _local(c.tag) != "name"]
            verb = "delete" if child.get("operation") == "delete" else None
            if child.get("replace") == "replace" and verb is None:
                lines.append("delete " + " ".join(here))  # replaced, not merged
            if verb is not None:
                lines.append("delete " + " ".join(here))
            elif rest:
                walk(child, here, tag, name is not None)
            elif child.text and child.text.strip() and name is None:
                lines.append("set " + " ".join(here + [_word(child.text.strip())]))
            else:
                lines.append("set " + " ".join(here))

    walk(config, [], "configuration")
    return lines


def config_xml(tree, version: str) -> str:
    """The configuration as Junos XML: containers nest, list entries carry <name>."""
    lines: list[str] = []

    def walk(node, depth: int) -> None:
        for (name, key), child in node.children.items():
            tag = _element_name(name)
            pad = "    " * depth
            inactive = ' inactive="inactive"' if child.inactive else ""
            if key is not None and child.children:
                lines.append(f"{pad}<{tag}{inactive}>")
                lines.append(f"{pad}    <name>{escape(key)}</name>")
                walk(child, depth + 1)
                lines.append(f"{pad}</{tag}>")
            elif key is not None:
                lines.append(f"{pad}<{tag}{inactive}>")
                lines.append(f"{pad}    <name>{escape(key)}</name>")
                lines.append(f"{pad}</{tag}>")
            elif child.children:
                lines.append(f"{pad}<{tag}{inactive}>")
                walk(child, depth + 1)
                lines.append(f"{pad}</{tag}>")
            elif child.values:
                lines.extend(f"{pad}<{tag}{inactive}>{escape(v)}</{tag}>" for v in child.values)
            elif child.value is not None:
                lines.append(f"{pad}<{tag}{inactive}>{escape(child.value)}</{tag}>")
            else:
                lines.append(f"{pad}<{tag}{inactive}/>")

    walk(tree, 1)
    return ("<configuration junos:changed-seconds=\"0\">\n" + "\n".join(lines) +
            "\n</configuration>\n")
