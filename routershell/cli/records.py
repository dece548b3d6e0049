"""The record tree a show command builds once; text layouts, JSON and XML are all made from it.

A Record is an XML-like element: a tag, optional text, child records and attributes. Three
shapes matter when rendering:
* leaf: `text` is set (possibly ""),                    XML `<t>v</t>`,  JSON `"data" : "v"`;
* flag: no text, no children, no attributes,           XML `<t/>`,      JSON `"data" : [null]`;
* container: children and/or attributes, no text,      XML `<t>` ... `</t>` on their own lines.

The JSON layout is the one network operating systems with an XML API print for "display json"
(Junos style): every element is a list of objects, text goes under "data", attributes under an
"attributes" object, `"key" : value` with a space before the colon, indented by 4. Platform
wrappers (an rpc-reply envelope, a namespace URL) are built by the platform as records around
the command's record; this module holds no vendor strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

_INDENT = 4


@dataclass
class Record:
    tag: str
    text: str | None = None
    children: list[Record] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)

    def add(self, tag: str, text: str | int | None = None, **attrs: str) -> Record:
        """Append a child and return it (numbers are stored as their decimal text)."""
        child = Record(tag, None if text is None else str(text), [], dict(attrs))
        self.children.append(child)
        return child

    def find(self, path: str) -> Record | None:
        """First descendant along a "/"-separated path of child tags, or None."""
        found = self.findall(path)
        return found[0] if found else None

    def findall(self, path: str) -> list[Record]:
        """All descendants along a "/"-separated path of child tags, in document order."""
        level = [self]
        for tag in path.split("/"):
            level = [c for r in level for c in r.children if c.tag == tag]
        return level

    def findtext(self, path: str, default: str | None = None) -> str | None:
        """Text of the first match of `path`; `default` if absent or if it has no text."""
        found = self.find(path)
        if found is None or found.text is None:
            return default
        return found.text

    @property
    def is_flag(self) -> bool:
        return self.text is None and not self.children and not self.attrs


# --- XML ---------------------------------------------------------------------------------


def _xml_attrs(attrs: dict[str, str]) -> str:
    return "".join(
        f' {k}="{escape(v, {chr(34): "&quot;"})}"' for k, v in attrs.items()
    )


def _xml_lines(rec: Record, depth: int, out: list[str]) -> None:
    pad = " " * (_INDENT * depth)
    head = f"{rec.tag}{_xml_attrs(rec.attrs)}"
    if rec.is_flag:
        out.append(f"{pad}<{head}/>")
    elif rec.text is not None and not rec.children:
        out.append(f"{pad}<{head}>{escape(rec.text)}</{rec.tag}>")
    else:
        out.append(f"{pad}<{head}>")
        if rec.text is not None:
            out.append(f"{pad}{' ' * _INDENT}{escape(rec.text)}")
        for child in rec.children:
            _xml_lines(child, depth + 1, out)
        out.append(f"{pad}</{rec.tag}>")


def to_xml(record: Record) -> str:
    """Indented XML (4 spaces a level, one element or text per line), ending in a newline."""
    out: list[str] = []
    _xml_lines(record, 0, out)
    return "\n".join(out) + "\n"


# --- JSON --------------------------------------------------------------------------------


def _q(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _attr_lines(attrs: dict[str, str], ind: int) -> list[str]:
    lead = " " * ind + '"attributes" : {'
    items = [f"{_q(k)} : {_q(v)}" for k, v in attrs.items()]
    if len(items) == 1:
        return [lead + items[0] + "}"]
    # Further pairs line up under the first; the brace closes under the opening one.
    col = len(lead)
    lines = [lead + items[0] + ","]
    lines += [" " * col + item + "," for item in items[1:-1]]
    lines.append(" " * col + items[-1])
    lines.append(" " * (col - 1) + "}")
    return lines


def _group_lines(tag: str, members: list[Record], ind: int) -> list[str]:
    pad = " " * ind
    lines = [f"{pad}{_q(tag)} : ["]
    for i, rec in enumerate(members):
        obj = _object_lines(rec, ind)
        if i < len(members) - 1:
            obj[-1] += ","
        lines += obj
    lines.append(f"{pad}]")
    return lines


def _object_lines(rec: Record, ind: int) -> list[str]:
    inner = ind + _INDENT
    blocks: list[list[str]] = []
    if rec.text is not None:
        blocks.append([" " * inner + '"data" : ' + _q(rec.text)])
    elif rec.is_flag:
        blocks.append([" " * inner + '"data" : [null]'])
    if rec.attrs:
        blocks.append(_attr_lines(rec.attrs, inner))
    # Siblings with one tag form one list, in order of first appearance (keys stay unique).
    groups: dict[str, list[Record]] = {}
    for child in rec.children:
        groups.setdefault(child.tag, []).append(child)
    blocks += [_group_lines(tag, members, inner) for tag, members in groups.items()]
    lines = [" " * ind + "{"]
    for i, block in enumerate(blocks):
        if i < len(blocks) - 1:
            block[-1] += ","
        lines += block
    lines.append(" " * ind + "}")
    return lines


def to_json(record: Record) -> str:
    """`{"tag" : [{...}]}` in the display-json layout, ending in a newline."""
    lines = ["{"] + _group_lines(record.tag, [record], _INDENT) + ["}"]
    return "\n".join(lines) + "\n"
