"""IKEv1 cryptography: Oakley MODP groups, CBC ciphers, HMAC prfs and the RFC 2409 key derivations.

Public API
----------
- `GROUPS[n] -> DhGroup` for n in 1, 2, 5, 14. `DhGroup.private(rng) -> int`,
  `DhGroup.public(x) -> bytes` (KE data, modulus length), `DhGroup.shared(x, peer_ke) -> bytes`
  (g^xy left-padded to modulus length; raises `CryptoError` for an invalid peer value).
- `CIPHERS[name] -> CipherSpec` for "des", "3des", "aes128", "aes192", "aes256";
  `encrypt(name, key, iv, data)`, `decrypt(name, key, iv, data)`, `pad(data, block)`;
  `Phase2Keys`: an IKE SA's IV hash, SKEYID_a HMAC state and cipher contexts in one object.
- `HASHES` ("md5", "sha1", "sha256"): `prf(h, key, data)` (HMAC), `keyed_prf` (the same, for a
  key used again and again: its HMAC state is kept), `digest(h, data)`.
- Derivations: `skeyid_psk`, `skeyid_sig`, `derive_skeyids`, `expand_key`, `phase1_iv`,
  `phase2_iv`, `keymat` (`keymat_pair`: both directions at once).
- RSA signature as IKEv1 peers make it (PKCS#1 v1.5 type 1 over the bare hash, no DigestInfo):
  `rsa_sign(private_key, data)`, `rsa_verify(public_key, signature, data) -> bool`.

DH for groups 5 and 14 uses OpenSSL through `cryptography` (about 8x faster than pow()) with a
deterministic private value: the generator is used as the "peer" public key to obtain g^x. The
FFDH deprecation warning of cryptography 50 is silenced locally; if the library refuses, exact
pow() is used. Groups 1 and 2 always use pow() (see GROUPS).
"""

from __future__ import annotations

import hashlib
import hmac as _hmac
import random
import struct
import warnings
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.asymmetric import padding as _padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

try:
    from cryptography.hazmat.primitives.asymmetric import dh as _dh
except ImportError:  # pragma: no cover - FFDH removed from a future cryptography
    _dh = None  # type: ignore[assignment]

try:  # GMP's modular power: ~8x CPython's pow on the 1024-bit group (56 vs 440 us), the
    # largest single cost of bringing up or rekeying thousands of IKE SAs
    from gmpy2 import powmod as _powmod
except ImportError:  # pragma: no cover - a dependency; exact arithmetic in Python without it
    _powmod = None


_GEN = struct.Struct("!BBH")  # ISAKMP generic payload header (the HASH payload's in `seal`)


class CryptoError(Exception):
    """Invalid key material (peer DH value out of range, bad key length, ...)."""


class DecryptError(CryptoError):
    """An encrypted message did not decrypt to well-formed payloads: the keys differ or the
    message was corrupted or forged on the way."""


def _hex(s: str) -> int:
    return int("".join(s.split()), 16)


_P768 = _hex("""
FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 020BBEA6 3B139B22
514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 E485B576 625E7EC6
F44C42E9 A63A3620 FFFFFFFF FFFFFFFF""")
_P1024 = _hex("""
FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 020BBEA6 3B139B22
514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 E485B576 625E7EC6
F44C42E9 A637ED6B 0BFF5CB6 F406B7ED EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE65381
FFFFFFFF FFFFFFFF""")
_P1536 = _hex("""
FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 020BBEA6 3B139B22
514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 E485B576 625E7EC6
F44C42E9 A637ED6B 0BFF5CB6 F406B7ED EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D
C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB
9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA237327 FFFFFFFF FFFFFFFF""")
_P2048 = _hex("""
FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 020BBEA6 3B139B22
514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 E485B576 625E7EC6
F44C42E9 A637ED6B 0BFF5CB6 F406B7ED EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D
C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB
9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B E39E772C 180E8603
9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510
15728E5A 8AACAA68 FFFFFFFF FFFFFFFF""")


@dataclass
class DhGroup:
    """One Oakley MODP group; g = 2. `exp_bits` private exponent bits (2x the group strength)."""

    number: int
    p: int
    exp_bits: int
    g: int = 2
    _numbers: Any = field(default=None, repr=False)
    _gen_key: Any = field(default=None, repr=False)
    use_openssl: bool = field(default=True, repr=False)
    _gen_rows: list[list[int]] = field(default_factory=list, repr=False, compare=False)

    @property
    def length(self) -> int:
        return (self.p.bit_length() + 7) // 8

    def private(self, rng: random.Random) -> int:
        return rng.getrandbits(self.exp_bits) | (1 << (self.exp_bits - 1))

    def _modexp(self, base: int, x: int) -> int:
        if self.use_openssl and _dh is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # cryptography 50: FFDH deprecated
                    if self._numbers is None:
                        self._numbers = _dh.DHParameterNumbers(self.p, self.g)
                        self._gen_key = _dh.DHPublicNumbers(self.g, self._numbers).public_key()
                    if base == self.g:
                        pub = self._gen_key
                    else:
                        pub = _dh.DHPublicNumbers(base, self._numbers).public_key()
                    # exchange() never reads the private key's own public value, so the
                    # generator stands in for it instead of computing g^x twice.
                    priv = _dh.DHPrivateNumbers(x, _dh.DHPublicNumbers(self.g, self._numbers))
                    out = priv.private_key().exchange(pub)
                return int.from_bytes(out, "big")
            except Exception:  # noqa: BLE001 - library refused: fall back to exact arithmetic
                if base == self.g:  # the library itself refuses FFDH, not just this value
                    self.use_openssl = False
        if _powmod is not None:
            return int(_powmod(base, x, self.p))
        if base == self.g:
            return self._gen_pow(x)
        return pow(base, x, self.p)

    _WINDOW = 4

    def _gen_pow(self, x: int) -> int:
        """g^x mod p, exactly pow(g, x, p), from a table of g^(d * 16^i): one modular
        product per 4 exponent bits instead of pow's square-and-multiply (~3x less CPU for a
        160-bit exponent in the 1024-bit group; every phase 1 computes one per side)."""
        if x < 0 or x.bit_length() > 2 * self.exp_bits:
            return pow(self.g, x, self.p)
        rows, p, w = self._gen_rows, self.p, self._WINDOW
        mask = (1 << w) - 1
        r, i = 1, 0
        while x:
            if i == len(rows):  # built on first use, as far as exponents reach
                b = self.g if not rows else pow(rows[-1][1], 1 << w, p)
                row = [1]
                for _ in range(mask):
                    row.append(row[-1] * b % p)
                rows.append(row)
            d = x & mask
            if d:
                r = r * rows[i][d] % p
            x >>= w
            i += 1
        return r % p

    def public(self, x: int) -> bytes:
        return self._modexp(self.g, x).to_bytes(self.length, "big")

    def shared(self, x: int, peer_ke: bytes) -> bytes:
        if len(peer_ke) != self.length:
            raise CryptoError(f"KE length {len(peer_ke)} != {self.length} for group {self.number}")
        y = int.from_bytes(peer_ke, "big")
        if not 1 < y < self.p - 1:
            raise CryptoError("peer DH value out of range")
        return self._modexp(y, x).to_bytes(self.length, "big")


# OpenSSL 3 recognises the 1536- and 2048-bit MODP primes as named groups and loads keys for
# them in ~2 us; for the 768/1024-bit Oakley primes it re-validates the parameters (primality
# tests, ~25 ms) on every key load, so GMP's powmod (~0.06 ms; CPython's pow ~0.44 ms) is far
# faster there.
GROUPS: dict[int, DhGroup] = {
    1: DhGroup(1, _P768, 160, use_openssl=False),
    2: DhGroup(2, _P1024, 160, use_openssl=False),
    5: DhGroup(5, _P1536, 192),
    14: DhGroup(14, _P2048, 224),
}


# ----------------------------------------------------------------------------- hashes / prf

HASHES: dict[str, str] = {"md5": "md5", "sha1": "sha1", "sha256": "sha256"}


def prf(h: str, key: bytes, data: bytes) -> bytes:
    """HMAC of the negotiated hash (the IKEv1 prf when no PRF attribute is negotiated)."""
    return _hmac.digest(key, data, HASHES[h])


_DIGESTS = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256}
_IPAD = bytes(x ^ 0x36 for x in range(256))  # translation tables: key XOR ipad / opad
_OPAD = bytes(x ^ 0x5C for x in range(256))


def hmac_keyed(h: str, key: bytes) -> tuple[Any, Any]:
    """HMAC (RFC 2104) of hash `h` with `key`, keyed once: the hash states after the block
    (key XOR ipad) and after (key XOR opad). HMAC(key, data) is then
    outer.copy() + update(inner.copy() + update(data) -> digest) -> digest: two hash states
    copied per message, cheaper than copying OpenSSL's HMAC context (which holds three)."""
    ctor = _DIGESTS[HASHES[h]]
    block = ctor().block_size
    if len(key) > block:
        key = ctor(key).digest()
    key = key.ljust(block, b"\0")
    return ctor(key.translate(_IPAD)), ctor(key.translate(_OPAD))


def keyed_prf(h: str, key: bytes, data: bytes, cache: dict | None = None) -> bytes:
    """`prf` for a key used for many messages (an IKE SA's SKEYID_a: every DPD probe, ACK and
    quick mode message): the key's HMAC states (`hmac_keyed`) are made once per key, kept in
    `cache` (its owner's: an IKE SA's, which lives as long as its keys) and copied per message.
    Without a cache it is `prf`."""
    if cache is None:
        return prf(h, bytes(key), data)
    if type(key) is not bytes:
        key = bytes(key)  # a bytearray or memoryview: hashable for the cache
    pads = cache.get((h, key))
    if pads is None:
        pads = cache[(h, key)] = hmac_keyed(h, key)
    inner = pads[0].copy()
    inner.update(data)
    outer = pads[1].copy()
    outer.update(inner.digest())
    return outer.digest()


def digest(h: str, data: bytes) -> bytes:
    return _DIGESTS[HASHES[h]](data).digest()


# ----------------------------------------------------------------------------- ciphers


@dataclass(frozen=True)
class CipherSpec:
    key_len: int
    block: int
    kind: str  # "des" | "3des" | "aes"


CIPHERS: dict[str, CipherSpec] = {
    "des": CipherSpec(8, 8, "des"),
    "3des": CipherSpec(24, 8, "3des"),
    "aes128": CipherSpec(16, 16, "aes"),
    "aes192": CipherSpec(24, 16, "aes"),
    "aes256": CipherSpec(32, 16, "aes"),
}


class _BlockCipher:
    """One key's cipher contexts, made once: a CBC encryptor kept running across messages and
    an ECB decryptor. A message then costs no Cipher or context construction (in
    `cryptography` that is ~4 us and 15 ABC isinstance checks; every DPD probe and ACK is a
    message each way), and the bytes are exactly CBC's with the message's IV (RFC 2409 app. B):

    * encrypt: the running context chains from its last output block `chain`, so the first
      plaintext block goes in as P1 ^ IV ^ chain; it computes E(P1 ^ IV), and the rest chains
      as usual, all in one call;
    * decrypt: P_i = D(C_i) ^ C_(i-1) with C_0 = IV, one ECB call and one xor over ints."""

    __slots__ = ("block", "chain", "cbc_update", "ecb_decrypt")

    def __init__(self, spec: CipherSpec, key: bytes) -> None:
        if spec.kind == "aes":
            alg: Any = algorithms.AES(key)
        elif spec.kind == "des":
            alg = TripleDES(key * 3)  # K|K|K is single DES and avoids the short-key warning
        else:
            alg = TripleDES(key)
        self.block = spec.block
        self.chain = 0  # the running encryptor's last ciphertext block (its IV at first)
        self.cbc_update = Cipher(alg, modes.CBC(bytes(spec.block))).encryptor().update
        self.ecb_decrypt = Cipher(alg, modes.ECB()).decryptor().update

    def encrypt(self, iv: bytes, data: bytes) -> bytes:
        """CBC with `iv` of `data`, a whole number of blocks (checked by the caller)."""
        if not data:
            return b""
        b = self.block
        first = int.from_bytes(data[:b], "big") ^ int.from_bytes(iv, "big") ^ self.chain
        out = self.cbc_update(first.to_bytes(b, "big") + data[b:])
        self.chain = int.from_bytes(out[-b:], "big")
        return out

    def decrypt(self, iv: bytes, data: bytes) -> bytes:
        """CBC decryption with `iv` of `data` (bytes, whole blocks, checked by the caller)."""
        chain = int.from_bytes(iv + data[:-self.block], "big")
        return (int.from_bytes(self.ecb_decrypt(data), "big") ^ chain).to_bytes(len(data), "big")


def _block_cipher(name: str, key: bytes, iv: bytes, cache: dict | None) -> _BlockCipher:
    """The key's contexts from its owner's `cache` (made on first use), or fresh ones. An owner
    is one IKE SA, used by one lab's thread: its running encryptor's chain is never shared."""
    key = bytes(key)  # a bytearray or memoryview key: hashable for the cache
    bc = cache.get((name, key)) if cache is not None else None
    if bc is None or len(iv) != bc.block:
        spec = CIPHERS[name]
        if len(key) != spec.key_len or len(iv) != spec.block:
            raise CryptoError(f"{name}: key {len(key)} / iv {len(iv)} bytes")
        bc = _BlockCipher(spec, key)
        if cache is not None:
            cache[(name, key)] = bc
    return bc


def pad(data: bytes, block: int) -> bytes:
    """ISAKMP padding: zero bytes up to the block size (RFC 2408 §3.5 leaves the content open)."""
    return data + b"\0" * (-len(data) % block)


def encrypt(name: str, key: bytes, iv: bytes, data: bytes, cache: dict | None = None) -> bytes:
    """CBC encryption of whole blocks (ValueError otherwise, as `cryptography` raises). `cache`:
    where the key's contexts live (the IKE SA's own); without one they are made for this call."""
    bc = _block_cipher(name, key, iv, cache)
    if len(data) % bc.block:
        raise ValueError("The length of the provided data is not a multiple of the block length.")
    return bc.encrypt(iv, data)


def decrypt(name: str, key: bytes, iv: bytes, data: bytes, cache: dict | None = None) -> bytes:
    if len(data) % CIPHERS[name].block or not data:
        raise CryptoError("ciphertext is not a whole number of blocks")
    return _block_cipher(name, key, iv, cache).decrypt(iv, bytes(data))


class Phase2Keys:
    """What an established IKE SA's phase 2 messages need, gathered once (the informational
    exchanges it sends and receives all its life: every DPD probe and ACK): the phase 2 IV's
    hash (`iv_hash`: copy, update, digest), SKEYID_a's keyed HMAC states (`inner`, `outer`:
    `hmac_keyed`; `prf(data)`) and the cipher contexts (`cipher`). They are the very objects in
    the SA's cache that `keyed_prf` and `encrypt` use, so the running CBC encryptor stays one
    per key. `source` is what they were
    made from (proposal, encryption key, SKEYID_a, last phase 1 block): the holder compares it
    by identity before use. `seal` and `open` are a message's whole crypto in one call each
    (RFC 2409 §5.7 and appendix B), the same bytes as `keyed_prf`, `phase2_iv`, `pad`,
    `encrypt` and `decrypt` one after the other."""

    __slots__ = ("source", "block", "inner", "outer", "cipher", "iv_hash")

    def __init__(self, hash_name: str, cipher_name: str, enc_key: bytes, skeyid_a: bytes,
                 last_block: bytes, cache: dict, source: tuple) -> None:
        spec = CIPHERS[cipher_name]
        self.source = source
        self.block = spec.block
        self.iv_hash = _DIGESTS[HASHES[hash_name]](bytes(last_block))  # copied per message
        key = bytes(skeyid_a)
        pads = cache.get((hash_name, key))
        if pads is None:
            pads = cache[(hash_name, key)] = hmac_keyed(hash_name, key)
        self.inner, self.outer = pads
        self.cipher = _block_cipher(cipher_name, enc_key, bytes(spec.block), cache)

    def prf(self, data: bytes) -> bytes:
        """prf(SKEYID_a, data): `keyed_prf` with this SA's key."""
        inner = self.inner.copy()
        inner.update(data)
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def iv(self, message_id: bytes) -> bytes:
        """`phase2_iv` for the 4-byte message ID: hash(last phase 1 block | M-ID)."""
        h = self.iv_hash.copy()
        h.update(message_id)
        return h.digest()[:self.block]

    def seal(self, message_id: bytes, first: int, chain: bytes) -> bytes:
        """The ciphertext of the phase 2 message HASH, `chain` (whose first payload is of type
        `first`) with HASH = prf(SKEYID_a, M-ID | chain), zero-padded and CBC-encrypted with
        the message's IV."""
        inner = self.inner.copy()  # prf(), inline
        inner.update(message_id + chain)
        outer = self.outer.copy()
        outer.update(inner.digest())
        digest = outer.digest()
        plain = _GEN.pack(first, 0, len(digest) + 4) + digest + chain
        b = self.block
        if len(plain) % b:
            plain += b"\0" * (-len(plain) % b)  # pad()
        bc = self.cipher  # _BlockCipher.encrypt with the IV, inline
        h = self.iv_hash.copy()  # iv()
        h.update(message_id)
        iv = h.digest()
        x = int.from_bytes(plain[:b], "big") ^ int.from_bytes(iv[:b], "big") ^ bc.chain
        out = bc.cbc_update(x.to_bytes(b, "big") + plain[b:])
        bc.chain = int.from_bytes(out[-b:], "big")
        return out

    def encrypt(self, iv: bytes, chain: bytes) -> bytes:
        """`encrypt(cipher, key, iv, pad(chain, block))` with this SA's running contexts: a
        quick mode message chained on from the previous one's last block (`iv`, a block)."""
        b = self.block
        if len(chain) % b:
            chain += b"\0" * (-len(chain) % b)  # pad()
        if not chain:
            return b""
        bc = self.cipher  # _BlockCipher.encrypt, inline
        x = int.from_bytes(chain[:b], "big") ^ int.from_bytes(iv, "big") ^ bc.chain
        out = bc.cbc_update(x.to_bytes(b, "big") + chain[b:])
        bc.chain = int.from_bytes(out[-b:], "big")
        return out

    def decrypt(self, iv: bytes, ciphertext: bytes) -> bytes:
        """`decrypt(cipher, key, iv, ciphertext)` with this SA's contexts: CryptoError for a
        ciphertext that is not a non-zero whole number of blocks, as there."""
        b = self.block
        if len(ciphertext) % b or not ciphertext:
            raise CryptoError("ciphertext is not a whole number of blocks")
        chain = int.from_bytes(iv + ciphertext[:-b], "big")
        return (int.from_bytes(self.cipher.ecb_decrypt(ciphertext), "big") ^ chain).to_bytes(
            len(ciphertext), "big")

    def open(self, message_id: bytes, ciphertext: bytes) -> bytes:
        """The plaintext of a phase 2 message's `ciphertext` (bytes, a non-zero whole number of
        blocks: the caller checks)."""
        b = self.block
        h = self.iv_hash.copy()  # iv()
        h.update(message_id)
        chain = int.from_bytes(h.digest()[:b] + ciphertext[:-b], "big")  # _BlockCipher.decrypt
        return (int.from_bytes(self.cipher.ecb_decrypt(ciphertext), "big") ^ chain).to_bytes(
            len(ciphertext), "big")


# ----------------------------------------------------------------------------- derivations


def skeyid_psk(h: str, psk: bytes, ni_b: bytes, nr_b: bytes) -> bytes:
    return prf(h, psk, ni_b + nr_b)


def skeyid_sig(h: str, ni_b: bytes, nr_b: bytes, gxy: bytes) -> bytes:
    return prf(h, ni_b + nr_b, gxy)


def derive_skeyids(h: str, skeyid: bytes, gxy: bytes, cky_i: bytes, cky_r: bytes
                   ) -> tuple[bytes, bytes, bytes]:
    """(SKEYID_d, SKEYID_a, SKEYID_e) per RFC 2409 §5."""
    d = prf(h, skeyid, gxy + cky_i + cky_r + b"\0")
    a = prf(h, skeyid, d + gxy + cky_i + cky_r + b"\1")
    e = prf(h, skeyid, a + gxy + cky_i + cky_r + b"\2")
    return d, a, e


def expand_key(h: str, skeyid_e: bytes, key_len: int) -> bytes:
    """Encryption key from SKEYID_e (RFC 2409 App. B: K1 = prf(SKEYID_e, 0), Kn = prf(., Kn-1))."""
    if len(skeyid_e) >= key_len:
        return skeyid_e[:key_len]
    out, k = b"", b"\0"
    while len(out) < key_len:
        k = prf(h, skeyid_e, k)
        out += k
    return out[:key_len]


def phase1_iv(h: str, gxi: bytes, gxr: bytes, block: int) -> bytes:
    return digest(h, gxi + gxr)[:block]


def phase2_iv(h: str, last_p1_block: bytes, message_id: int, block: int) -> bytes:
    return digest(h, last_p1_block + message_id.to_bytes(4, "big"))[:block]


def keymat(h: str, skeyid_d: bytes, protocol: int, spi: bytes, ni_b: bytes, nr_b: bytes,
           length: int, gxy: bytes = b"", cache: dict | None = None) -> bytes:
    """Quick-mode KEYMAT for one direction (RFC 2409 §5.5); `spi` is that SA's 4-byte SPI.
    `cache`: the IKE SA's (SKEYID_d keys every quick mode of its IKE SA)."""
    seed = gxy + bytes([protocol]) + spi + ni_b + nr_b
    out = k = keyed_prf(h, skeyid_d, seed, cache)
    while len(out) < length:
        k = keyed_prf(h, skeyid_d, k + seed, cache)
        out += k
    return out[:length]


def keymat_pair(h: str, skeyid_d: bytes, protocol: int, spi_in: int, spi_out: int, ni_b: bytes,
                nr_b: bytes, length: int, gxy: bytes, cache: dict) -> tuple[bytes, bytes]:
    """`keymat` of both directions of a quick mode's SA pair (SPIs as ints) at once: SKEYID_d's
    keyed HMAC states looked up in `cache` once and copied per prf, the seed built around the
    SPI (what every installed quick mode computes on both sides)."""
    if type(skeyid_d) is not bytes:
        skeyid_d = bytes(skeyid_d)
    pads = cache.get((h, skeyid_d))
    if pads is None:
        pads = cache[(h, skeyid_d)] = hmac_keyed(h, skeyid_d)
    ipad, opad = pads
    head, tail = gxy + bytes([protocol]), ni_b + nr_b
    out = []
    for spi in (spi_in, spi_out):
        seed = head + spi.to_bytes(4, "big") + tail
        inner = ipad.copy()
        inner.update(seed)
        outer = opad.copy()
        outer.update(inner.digest())
        km = k = outer.digest()
        while len(km) < length:
            inner = ipad.copy()
            inner.update(k + seed)
            outer = opad.copy()
            outer.update(inner.digest())
            k = outer.digest()
            km += k
        out.append(km[:length])
    return out[0], out[1]


# ----------------------------------------------------------------------------- RSA


def rsa_sign(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    """PKCS#1 v1.5 type-1 signature over `data` itself (IKEv1 signs HASH_I/R without DigestInfo)."""
    n = key.private_numbers()
    k = (key.key_size + 7) // 8
    if len(data) > k - 11:
        raise CryptoError("data too long for RSA key")
    em = b"\0\1" + b"\xff" * (k - 3 - len(data)) + b"\0" + data
    m = int.from_bytes(em, "big")
    # CRT private operation
    s1 = pow(m, n.dmp1, n.p)
    s2 = pow(m, n.dmq1, n.q)
    s = s2 + n.q * ((n.iqmp * (s1 - s2)) % n.p)
    return s.to_bytes(k, "big")


def rsa_verify(key: rsa.RSAPublicKey, signature: bytes, data: bytes) -> bool:
    try:
        got = key.recover_data_from_signature(signature, _padding.PKCS1v15(), None)
    except Exception:  # noqa: BLE001 - any failure is a bad signature
        return False
    return _hmac.compare_digest(got, data)
