"""Junos reversible secret encoding ("$9$", "junos type 9").

Junos shows shared secrets (IKE pre-shared keys, RADIUS secrets, ...) in this form, followed by
`## SECRET-DATA`. It is an obfuscation, not encryption: the same algorithm as the Perl module
Crypt::Juniper (Kevin Brintnall, 2008) and its many ports, which decode strings taken from real
devices. This is an independent implementation of that published algorithm.

Layout of "$9$" + salt + padding + body:
* salt: one character of the alphabet; its family decides how many random padding characters
  follow (EXTRA),
* body: each plain character (code point < 256) becomes 2-4 characters. Its value is split into
  "gaps" by the moduli of ENCODING[position % 7]; each gap is the distance (minus one) from the
  previous output character to the next one in the cyclic alphabet.
"""

from __future__ import annotations

import functools
import random

MAGIC = "$9$"

# The four letter families; the order of the concatenation is the cyclic alphabet.
_FAMILIES = ("QzF3n6/9CAtpu0O", "B1IREhcSyrleKvMW8LXx", "7N-dVbwsY2g4oaJZGUDj", "iHkq.mPf5T")
_ALPHABET = "".join(_FAMILIES)
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
# Number of padding characters after a salt character: 3 for the first family ... 0 for the last.
_EXTRA = {c: 3 - f for f, fam in enumerate(_FAMILIES) for c in fam}
# Place values for the gaps of a character, by position of that character modulo 7.
_ENCODING: tuple[tuple[int, ...], ...] = (
    (1, 4, 32),
    (1, 16, 32),
    (1, 8, 32),
    (1, 64),
    (1, 32),
    (1, 4, 16, 128),
    (1, 32, 64),
)


class SecretError(ValueError):
    """A string that is not a well-formed $9$ secret, or plain text that cannot be encoded."""


def is_encrypted9(s: str) -> bool:
    """True if `s` decodes as a $9$ secret (used to accept already-encoded input on `set`)."""
    try:
        decrypt9(s)
    except SecretError:
        return False
    return True


def encrypt9(plain: str, rng: random.Random) -> str:
    """Encode `plain` the way Junos stores it; salt and padding come from `rng`."""
    for ch in plain:
        if ord(ch) > 255:
            raise SecretError(f"cannot encode character {ch!r} in a $9$ secret")
    salt = _ALPHABET[rng.randrange(len(_ALPHABET))]
    out = [salt]
    out.extend(_ALPHABET[rng.randrange(len(_ALPHABET))] for _ in range(_EXTRA[salt]))
    prev = salt
    for pos, ch in enumerate(plain):
        value = ord(ch)
        gaps: list[int] = []
        # Largest place value first: every gap stays below 64, so it survives the decoder's
        # "(distance mod 65) - 1".
        for place in reversed(_ENCODING[pos % len(_ENCODING)]):
            gaps.append(value // place)
            value %= place
        for gap in reversed(gaps):
            prev = _ALPHABET[(_INDEX[prev] + gap + 1) % len(_ALPHABET)]
            out.append(prev)
    return MAGIC + "".join(out)


@functools.lru_cache(maxsize=4096)  # pure; a commit of many tunnels decodes one key often
def decrypt9(s: str) -> str:
    """Decode a $9$ secret; raise SecretError (a ValueError) if it is malformed."""
    if not isinstance(s, str) or not s.startswith(MAGIC):
        raise SecretError("not a $9$ secret")
    body = s[len(MAGIC):]
    if not body:
        raise SecretError("empty $9$ secret")
    for ch in body:
        if ch not in _INDEX:
            raise SecretError(f"character {ch!r} is not used in $9$ secrets")
    salt = body[0]
    pos = 1 + _EXTRA[salt]
    if pos > len(body):
        raise SecretError("$9$ secret is truncated")
    prev = salt
    plain: list[str] = []
    while pos < len(body):
        places = _ENCODING[len(plain) % len(_ENCODING)]
        chunk = body[pos:pos + len(places)]
        if len(chunk) != len(places):
            raise SecretError("$9$ secret is truncated")
        value = 0
        for place, ch in zip(places, chunk, strict=True):
            gap = (_INDEX[ch] - _INDEX[prev]) % len(_ALPHABET) - 1
            if gap < 0:  # a repeated character: no encoder emits a zero distance
                raise SecretError("$9$ secret is corrupt")
            value += gap * place
            prev = ch
        plain.append(chr(value % 256))
        pos += len(places)
    return "".join(plain)
