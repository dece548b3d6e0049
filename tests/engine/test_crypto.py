"""Known-answer tests for the IKEv1 crypto; derivations are recomputed here with hashlib/hmac."""

import hashlib
import hmac
import random
import warnings

import pytest

from routershell.engine import crypto
from routershell.engine.crypto import GROUPS, CryptoError
from routershell.engine.ike import _PHASE2_KEYS


def _probable_prime(n: int, rounds: int = 8) -> bool:
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in random.Random(n).sample(range(2, 10_000), rounds):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def H(name, key, data):
    return hmac.new(key, data, name).digest()


def test_hmac_vectors_from_protocols_md():
    msg = b"The quick brown fox jumps over the lazy dog"
    assert crypto.prf("md5", b"key", msg).hex() == "80070713463e7749b90c2dc24911e275"
    assert crypto.prf("sha1", b"key", msg).hex() == "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"
    # RFC 4231 test case 2 for SHA-256
    assert crypto.prf("sha256", b"Jefe", b"what do ya want for nothing?").hex() == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")


@pytest.mark.parametrize("number,bits", [(1, 768), (2, 1024), (5, 1536), (14, 2048)])
def test_oakley_primes(number, bits):
    p = GROUPS[number].p
    assert p.bit_length() == bits
    top = (1 << 64) - 1
    assert p >> (bits - 64) == top and p & top == top
    q = (p - 1) // 2
    assert _probable_prime(p) and _probable_prime(q)  # safe prime
    # p = 7 mod 8, so 2 is a quadratic residue: g = 2 generates the prime-order subgroup q.
    # (protocols.md's tip `pow(2, q, p) == p - 1` does not hold for these primes.)
    assert p % 8 == 7 and pow(2, q, p) == 1


@pytest.mark.parametrize("number", [1, 2, 5, 14])
def test_dh_agreement_matches_pow(number):
    g = GROUPS[number]
    rng = random.Random(number)
    x, y = g.private(rng), g.private(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no FFDH deprecation warning may leak out
        X, Y = g.public(x), g.public(y)
        s1, s2 = g.shared(x, Y), g.shared(y, X)
    assert len(X) == len(Y) == len(s1) == g.length
    assert s1 == s2 == pow(int.from_bytes(X, "big"), y, g.p).to_bytes(g.length, "big")
    assert X == pow(2, x, g.p).to_bytes(g.length, "big")


@pytest.mark.parametrize("number", [1, 5])
def test_dh_pow_and_openssl_agree_and_pad(number):
    ref = GROUPS[number]
    g = crypto.DhGroup(number, ref.p, ref.exp_bits, use_openssl=not ref.use_openssl)
    rng = random.Random(7)
    # find an exponent whose public value has a leading zero byte: padding must keep the length
    for _ in range(5000):
        x = g.private(rng)
        v = pow(2, x, g.p)
        if v.bit_length() <= (g.length - 1) * 8:
            break
    else:
        pytest.fail("no short public value found")
    pub = g.public(x)
    assert len(pub) == g.length and pub[0] == 0
    assert pub == ref.public(x)
    y = ref.private(rng)
    assert g.shared(x, ref.public(y)) == ref.shared(y, pub)


@pytest.mark.parametrize("number", [1, 2, 5, 14])
def test_dh_public_from_the_generator_table_is_exactly_pow(number, monkeypatch):
    """public(x) without OpenSSL and without GMP comes from a table of g^(d * 16^i): the same
    value as pow() for any exponent (edges of the windows, the exponent length, beyond it, zero)."""
    monkeypatch.setattr(crypto, "_powmod", None)
    ref = GROUPS[number]
    g = crypto.DhGroup(number, ref.p, ref.exp_bits, use_openssl=False)
    rng = random.Random(number)
    bits = ref.exp_bits
    xs = [0, 1, 15, 16, 17, 255, 256, (1 << bits) - 1, 1 << bits, (1 << 2 * bits) - 1,
          1 << 2 * bits, ref.p - 2, rng.getrandbits(3 * bits)] + [g.private(rng) for _ in range(40)]
    for x in xs:
        assert g.public(x) == pow(2, x, g.p).to_bytes(g.length, "big"), x


@pytest.mark.parametrize("number", [1, 2, 5, 14])
def test_dh_through_gmp_is_exactly_pow(number):
    """gmpy2 (a dependency) does the modular powers of the groups OpenSSL would re-validate on
    every key load: the same values as pow(), public and shared, with and without it."""
    assert crypto._powmod is not None
    ref = GROUPS[number]
    g = crypto.DhGroup(number, ref.p, ref.exp_bits, use_openssl=False)
    rng = random.Random(number + 100)
    for _ in range(20):
        x, y = g.private(rng), g.private(rng)
        gy = pow(2, y, g.p)
        assert g.public(x) == pow(2, x, g.p).to_bytes(g.length, "big")
        assert g.shared(x, gy.to_bytes(g.length, "big")) == pow(gy, x, g.p).to_bytes(g.length, "big")


@pytest.mark.parametrize("bad", [0, 1, -1])
def test_dh_rejects_degenerate_peer_values(bad):
    g = GROUPS[2]
    val = (g.p - 1 if bad == -1 else bad).to_bytes(g.length, "big")
    with pytest.raises(CryptoError):
        g.shared(12345, val)
    with pytest.raises(CryptoError):
        g.shared(12345, b"\x01" * (g.length - 1))


def test_cipher_known_answers():
    # NIST SP 800-38A F.2.1 AES-128-CBC, first block
    k = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
    iv = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
    pt = bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")
    assert crypto.encrypt("aes128", k, iv, pt).hex() == "7649abac8119b246cee98e9b12e9197d"
    # classic single-DES vector, CBC with a zero IV equals ECB for one block
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ct = crypto.encrypt("des", bytes.fromhex("133457799BBCDFF1"), b"\0" * 8,
                            bytes.fromhex("0123456789ABCDEF"))
    assert ct.hex() == "85e813540f0ab405"


@pytest.mark.parametrize("name", sorted(crypto.CIPHERS))
def test_cipher_roundtrip_and_errors(name):
    spec = crypto.CIPHERS[name]
    key = bytes(range(1, spec.key_len + 1))
    iv = b"\x42" * spec.block
    data = crypto.pad(b"hello isakmp", spec.block)
    assert len(data) % spec.block == 0
    assert crypto.decrypt(name, key, iv, crypto.encrypt(name, key, iv, data)) == data
    with pytest.raises(CryptoError):
        crypto.decrypt(name, key, iv, b"\0" * (spec.block + 1))
    with pytest.raises(CryptoError):
        crypto.encrypt(name, key[:-1], iv, data)


@pytest.mark.parametrize("h", ["md5", "sha1", "sha256"])
def test_skeyid_derivations_independent(h):
    psk, ni, nr = b"secret", b"N" * 16, b"R" * 20
    gxy = bytes(range(256)) * 0 + b"\x07" * 128
    ci, cr = b"I" * 8, b"R" * 8
    skeyid = H(h, psk, ni + nr)
    assert crypto.skeyid_psk(h, psk, ni, nr) == skeyid
    assert crypto.skeyid_sig(h, ni, nr, gxy) == H(h, ni + nr, gxy)
    d = H(h, skeyid, gxy + ci + cr + b"\x00")
    a = H(h, skeyid, d + gxy + ci + cr + b"\x01")
    e = H(h, skeyid, a + gxy + ci + cr + b"\x02")
    assert crypto.derive_skeyids(h, skeyid, gxy, ci, cr) == (d, a, e)
    # RFC 2409 App. B expansion
    k1 = H(h, e, b"\x00")
    k2 = H(h, e, k1)
    k3 = H(h, e, k2)
    for n in (8, 16, 24, 32):
        want = e[:n] if len(e) >= n else (k1 + k2 + k3)[:n]
        assert crypto.expand_key(h, e, n) == want


def test_ivs_independent():
    gxi, gxr = b"\x01" * 128, b"\x02" * 128
    assert crypto.phase1_iv("sha1", gxi, gxr, 16) == hashlib.sha1(gxi + gxr).digest()[:16]
    assert crypto.phase1_iv("md5", gxi, gxr, 8) == hashlib.md5(gxi + gxr).digest()[:8]
    last = b"\xaa" * 16
    assert crypto.phase2_iv("sha256", last, 0x01020304, 16) == \
        hashlib.sha256(last + b"\x01\x02\x03\x04").digest()[:16]


@pytest.mark.parametrize("pfs", [b"", b"\x05" * 128])
def test_quick_mode_keymat_independent(pfs):
    d, ni, nr = b"D" * 20, b"i" * 16, b"r" * 16
    spi_in, spi_out = (0x1000).to_bytes(4, "big"), (0x2000).to_bytes(4, "big")
    seed_in = pfs + b"\x03" + spi_in + ni + nr
    k1 = H("sha1", d, seed_in)
    k2 = H("sha1", d, k1 + seed_in)
    k3 = H("sha1", d, k2 + seed_in)
    got = crypto.keymat("sha1", d, 3, spi_in, ni, nr, 52, pfs)  # aes256 + hmac-sha1
    assert got == (k1 + k2 + k3)[:52]
    other = crypto.keymat("sha1", d, 3, spi_out, ni, nr, 52, pfs)
    assert other != got  # directions differ by SPI
    assert crypto.keymat("sha1", d, 2, spi_in, ni, nr, 16, pfs) == H("sha1", d, pfs + b"\x02" + spi_in + ni + nr)[:16]


def test_rsa_null_digestinfo_signature():
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(65537, 1024)
    h = hashlib.sha1(b"x").digest()
    sig = crypto.rsa_sign(key, h)
    n = key.public_key().public_numbers()
    em = pow(int.from_bytes(sig, "big"), n.e, n.n).to_bytes(128, "big")
    assert em == b"\x00\x01" + b"\xff" * (128 - 3 - 20) + b"\x00" + h  # no DigestInfo
    assert crypto.rsa_verify(key.public_key(), sig, h)
    assert not crypto.rsa_verify(key.public_key(), sig, b"y" * 20)
    assert not crypto.rsa_verify(key.public_key(), b"\0" * 128, h)


def _reference_cbc(name: str, key: bytes, iv: bytes, data: bytes, encrypting: bool) -> bytes:
    """CBC as `cryptography` does it with a fresh context (what crypto.py did per message)."""
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    kind = crypto.CIPHERS[name].kind
    alg = algorithms.AES(key) if kind == "aes" else TripleDES(key * 3 if kind == "des" else key)
    c = Cipher(alg, modes.CBC(iv))
    ctx = c.encryptor() if encrypting else c.decryptor()
    return ctx.update(data) + ctx.finalize()


@pytest.mark.parametrize("name", sorted(crypto.CIPHERS))
def test_cached_block_cipher_is_exactly_cbc(name):
    # contexts kept per key in an owner's cache (a running CBC encryptor, an ECB decryptor):
    # byte for byte the CBC of a fresh context, over several keys in one cache, interleaved,
    # and message lengths; without a cache the same bytes
    spec = crypto.CIPHERS[name]
    rng = random.Random(name)
    keys = [rng.randbytes(spec.key_len) for _ in range(3)]
    cache: dict = {}
    for round_ in range(3):
        for key in keys:
            for blocks in (1, 2, 5):
                iv = rng.randbytes(spec.block)
                data = rng.randbytes(blocks * spec.block)
                ct = crypto.encrypt(name, key, iv, data, cache)
                assert ct == _reference_cbc(name, key, iv, data, True), (round_, blocks)
                assert crypto.encrypt(name, key, iv, data) == ct
                assert crypto.decrypt(name, key, iv, ct, cache) == data
                assert crypto.decrypt(name, key, iv, data, cache) == _reference_cbc(name, key, iv, data, False)
    assert len(cache) == 3
    with pytest.raises(ValueError):
        crypto.encrypt(name, keys[0], b"\0" * spec.block, b"\0" * (spec.block + 1), cache)
    with pytest.raises(CryptoError):
        crypto.encrypt(name, keys[0], b"\0" * (spec.block + 1), b"\0" * spec.block, cache)


def test_two_owners_of_one_key_keep_their_own_running_encryptor():
    # two SAs with the same key (a lab peer and the router, or two labs in two threads): each
    # chains from its own last block, and both stay exactly CBC
    key, iv, data = b"k" * 16, b"i" * 16, b"d" * 48
    want = _reference_cbc("aes128", key, iv, data, True)
    a: dict = {}
    b: dict = {}
    assert crypto.encrypt("aes128", bytearray(key), iv, data, a) == want  # any bytes-like key
    assert crypto.encrypt("aes128", key, iv, data, a) == want  # a's chain has moved
    assert crypto.encrypt("aes128", key, iv, data, b) == want  # b starts from its own
    assert a[("aes128", key)] is not b[("aes128", key)]


@pytest.mark.parametrize("h", ["md5", "sha1", "sha256"])
def test_keyed_prf_is_the_prf(h):
    # the kept HMAC state of a key gives the same MAC as a fresh one, message after message,
    # several keys in one owner's cache; without a cache it is prf
    rng = random.Random(h)
    keys = [rng.randbytes(20) for _ in range(3)]
    cache: dict = {}
    for _ in range(3):
        for key in keys:
            data = rng.randbytes(rng.randrange(0, 80))
            assert crypto.keyed_prf(h, key, data, cache) == hmac.new(key, data, h).digest()
            assert crypto.keyed_prf(h, key, data) == hmac.new(key, data, h).digest()
    assert len(cache) == 3
    assert crypto.keyed_prf(h, bytearray(keys[0]), b"x", cache) == crypto.prf(h, keys[0], b"x")


@pytest.mark.parametrize("h", ["md5", "sha1", "sha256"])
def test_hmac_from_two_keyed_hash_states_is_hmac(h):
    """`hmac_keyed` (HMAC as RFC 2104 writes it: the ipad and opad blocks hashed once) gives
    hmac's MAC for keys shorter than, as long as and longer than the hash's block (hashed
    first), empty data and long data, over and over from the same states; so does
    `Phase2Keys.prf`, which shares them with `keyed_prf` through the cache."""
    rng = random.Random(f"pads{h}")
    for klen in (0, 1, 16, 20, 32, 63, 64, 65, 100, 200):
        key = rng.randbytes(klen)
        inner, outer = crypto.hmac_keyed(h, key)
        for dlen in (0, 1, 36, 64, 65, 300):
            data = rng.randbytes(dlen)
            i = inner.copy()
            i.update(data)
            o = outer.copy()
            o.update(i.digest())
            assert o.digest() == hmac.new(key, data, h).digest(), (klen, dlen)
    cache: dict = {}
    key = rng.randbytes(20)
    keys = crypto.Phase2Keys(h, "aes128", bytes(16), key, bytes(16), cache, ())
    assert crypto.keyed_prf(h, key, b"m", cache) == keys.prf(b"m") == hmac.new(key, b"m", h).digest()
    assert cache[(h, key)] == (keys.inner, keys.outer)


def test_an_owners_cache_makes_each_keys_contexts_once(monkeypatch):
    """IKE SAs pass their own cache: every SA's contexts are made once per key, however many SAs
    are live (a shared bounded cache missed on every message in rotation past its bound)."""
    made = []
    real = crypto._BlockCipher
    monkeypatch.setattr(crypto, "_BlockCipher", lambda spec, key: made.append(key) or real(spec, key))
    owners = [({}, bytes([i]) * 16) for i in range(5)]
    iv, data = b"i" * 16, b"d" * 32
    for _ in range(3):
        for cache, key in owners:
            ct = crypto.encrypt("aes128", key, iv, data, cache)
            assert ct == _reference_cbc("aes128", key, iv, data, True)
            assert crypto.decrypt("aes128", key, iv, ct, cache) == data
            assert crypto.keyed_prf("sha1", key, data, cache) == hmac.new(key, data, "sha1").digest()
    assert sorted(made) == sorted(k for _, k in owners)  # once per key, not per message
    assert all(len(cache) == 2 for cache, _ in owners)  # its cipher contexts and its HMAC state


def test_an_ike_sa_holds_its_own_crypto_contexts(monkeypatch):
    """The engine hands each IKE SA's cache to the crypto: after main mode and quick mode each
    side's SA holds its cipher contexts and its SKEYID_a/SKEYID_d HMAC states, made once, and a
    DPD exchange afterwards makes no new context."""
    from tests.engine.helpers import make_pair, up

    made = []
    real = crypto._BlockCipher
    monkeypatch.setattr(crypto, "_BlockCipher", lambda spec, key: made.append(key) or real(spec, key))
    pair = up(make_pair())
    sas = [sa for ep in (pair.a, pair.b) for sa in ep.sadb.ike.values()]
    assert len(sas) == 2
    for sa in sas:
        assert set(sa.crypto_cache) == {(sa.proposal.cipher, sa.enc_key), (sa.proposal.hash, sa.skeyid_a),
                                        (sa.proposal.hash, sa.skeyid_d),  # KEYMAT's key
                                        _PHASE2_KEYS}  # quick mode's Phase2Keys (the same objects)
    before = len(made)
    assert before == 2  # one per SA (both sides derive the same key, each its own context)
    assert pair.a.probe(pair.b.local, pair.now)
    pair.pump()
    assert len(made) == before


@pytest.mark.parametrize("h", sorted(crypto.HASHES))
@pytest.mark.parametrize("name", sorted(crypto.CIPHERS))
def test_phase2_keys_seal_and_open_are_the_step_by_step_crypto(name, h):
    """`Phase2Keys.seal`/`open` (an informational message's crypto in one call each) give the
    bytes of HASH = prf(SKEYID_a, M-ID | chain), `phase2_iv`, `pad` and CBC one after the
    other, computed here with hmac/hashlib and a fresh `cryptography` context; and they share
    the SA's running encryptor with `crypto.encrypt`, interleaved."""
    rng = random.Random(f"{name}{h}")
    spec = crypto.CIPHERS[name]
    key, skeyid_a, last = rng.randbytes(spec.key_len), rng.randbytes(20), rng.randbytes(spec.block)
    cache: dict = {}
    keys = crypto.Phase2Keys(h, name, key, skeyid_a, last, cache, ())
    for n in range(12):
        mid = rng.randbytes(4)
        chain = rng.randbytes(rng.randrange(0, 70))
        first = rng.choice((11, 12))
        digest = hmac.new(skeyid_a, mid + chain, h).digest()
        plain = bytes([first, 0]) + (len(digest) + 4).to_bytes(2, "big") + digest + chain
        plain += bytes(-len(plain) % spec.block)
        iv = hashlib.new(h, last + mid).digest()[:spec.block]
        assert keys.iv(mid) == iv == crypto.phase2_iv(h, last, int.from_bytes(mid, "big"), spec.block)
        want = _reference_cbc(name, key, iv, plain, True)
        assert keys.seal(mid, first, chain) == want
        assert keys.open(mid, want) == plain
        if n % 3 == 0:  # the cache's own encryptor in between: still plain CBC on both sides
            other_iv = rng.randbytes(spec.block)
            assert crypto.encrypt(name, key, other_iv, plain, cache) == \
                _reference_cbc(name, key, other_iv, plain, True)
    assert set(cache) == {(name, key), (h, skeyid_a)}  # no contexts of its own


@pytest.mark.parametrize("h", sorted(crypto.HASHES))
@pytest.mark.parametrize("name", sorted(crypto.CIPHERS))
def test_phase2_keys_encrypt_and_decrypt_are_pad_encrypt_and_decrypt(name, h):
    """`Phase2Keys.encrypt`/`decrypt` (quick mode's messages, chained on from the previous
    message's last block) give the bytes of `pad` + `crypto.encrypt` / `crypto.decrypt` with
    the same IV, share the running encryptor with them (interleaved), and refuse what
    `crypto.decrypt` refuses with the same CryptoError."""
    rng = random.Random(f"qm{name}{h}")
    spec = crypto.CIPHERS[name]
    key, skeyid_a, last = rng.randbytes(spec.key_len), rng.randbytes(20), rng.randbytes(spec.block)
    cache: dict = {}
    keys = crypto.Phase2Keys(h, name, key, skeyid_a, last, cache, ())
    for n in range(12):
        iv = rng.randbytes(spec.block)
        chain = rng.randbytes(rng.randrange(0, 70))
        want = _reference_cbc(name, key, iv, crypto.pad(chain, spec.block), True)
        assert keys.encrypt(iv, chain) == want
        if n % 3 == 0:
            assert crypto.encrypt(name, key, iv, crypto.pad(chain, spec.block), cache) == want
        if want:
            assert keys.decrypt(iv, want) == crypto.decrypt(name, key, iv, want, cache) == \
                crypto.pad(chain, spec.block)
    for bad in (b"", bytes(spec.block + 1), bytes(spec.block - 1)):
        with pytest.raises(crypto.CryptoError) as general:
            crypto.decrypt(name, key, bytes(spec.block), bad, cache)
        with pytest.raises(crypto.CryptoError) as fast:
            keys.decrypt(bytes(spec.block), bad)
        assert str(fast.value) == str(general.value)


@pytest.mark.parametrize("h", sorted(crypto.HASHES))
@pytest.mark.parametrize("length", [8, 16, 20, 36, 52, 64, 72])
@pytest.mark.parametrize("pfs", [b"", b"G" * 128])
def test_keymat_pair_is_keymat_of_each_direction(h, length, pfs):
    """`keymat_pair` (both directions of an installed quick mode at once) gives `keymat` of
    each SPI, also with a bytearray SKEYID_d, and shares SKEYID_d's HMAC states in the cache."""
    rng = random.Random(f"km{h}{length}{len(pfs)}")
    d, ni, nr = rng.randbytes(rng.choice((16, 20, 32))), rng.randbytes(16), rng.randbytes(20)
    spi_in, spi_out = rng.getrandbits(32), rng.getrandbits(32)
    cache: dict = {}
    want = (crypto.keymat(h, d, 3, spi_in.to_bytes(4, "big"), ni, nr, length, pfs),
            crypto.keymat(h, d, 3, spi_out.to_bytes(4, "big"), ni, nr, length, pfs))
    assert crypto.keymat_pair(h, d, 3, spi_in, spi_out, ni, nr, length, pfs, cache) == want
    assert crypto.keymat_pair(h, bytearray(d), 3, spi_in, spi_out, ni, nr, length, pfs, cache) == want
    assert set(cache) == {(h, d)}
    assert crypto.keymat(h, d, 3, spi_in.to_bytes(4, "big"), ni, nr, length, pfs, cache) == want[0]
