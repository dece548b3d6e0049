"""`request|show|clear security pki …` (operational mode), reading and changing the device's
PKI store (state.py). Errors are the device's `error: …` lines, never tracebacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ....runtime import pki as rp
from ..op_commands import log_line, render
from ..registry import handler
from . import shows
from .state import PKID, ca_for, profiles, start_enrollment, store_of, subject_text

DEFAULT_KEY_SIZE = 1024  # JUNOS System Basics and Services Command Reference: `size` default
YES = ("y", "ye", "yes")


def _arg(match: Any, name: str) -> str | None:
    v = match.args.get(name)
    return None if v is None else str(v)


def _file(session: Any, name: str) -> Path | None:
    """The file `name` means: relative names from the device's home (docs/pki.md); served and
    lab sessions are confined to it as for every file (README), None when refused."""
    from ....config.files import FileAccessError, resolve_user_path

    home = session.device.home
    if home is None:
        return None
    if not session.confined:  # your own terminal: absolute names as they are
        p = Path(name)
        return p if p.is_absolute() else home / p
    try:
        return resolve_user_path(home, name, confined=True)
    except FileAccessError:
        return None


def _read_pem(session: Any, name: str, loader: Any) -> tuple[Any, str | None]:
    path = _file(session, name)
    try:
        if path is None:
            raise OSError
        from ....config.files import read_user_text

        data = read_user_text(path).encode("utf-8", "surrogateescape")  # regular files, 16 MB
    except OSError:
        return None, f"error: could not read file {name}\n"
    try:
        return loader(data), None
    except ValueError:
        return None, f"error: {name}: not a valid PEM file\n"


def _profile(session: Any, name: str) -> tuple[Any, str | None]:
    prof = profiles(session.device.store.active).get(name)
    if prof is None:
        return None, f"error: CA profile {name} not configured\n"
    return prof, None


async def _confirm_ca(session: Any, io: Any, out: Any, profile: str, cert: x509.Certificate) -> str:
    io.write(out.take() if hasattr(out, "take") else "")
    io.write("Received following certificates:\n"
             f"  Certificate: {subject_text(cert.subject)}\n"
             f"    Fingerprint: {rp.fingerprint(cert, 'sha1')} (sha1)\n"
             f"    Fingerprint: {rp.fingerprint(cert, 'md5')} (md5)\n")
    answer = await io.read_line("Do you want to load the above CA certificate ? [yes,no] (no) ")
    if answer is None or answer.strip().lower() not in YES:
        return ""
    if not _self_signed(cert):
        return f"error: CA certificate for profile {profile} is not self-signed\n"
    store_of(session.device).put("ca", profile, cert)
    return f"CA certificate for profile {profile} loaded successfully\n"


def _self_signed(cert: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(cert)
        return True
    except Exception:  # noqa: BLE001 - not self-issued or bad signature
        return False


# ---- request ---------------------------------------------------------------------------------

@handler("op-request-pki-generate-key-pair")
async def generate_key_pair(session, match, out, io):
    cid = _arg(match, "certificate-id")
    size = int(_arg(match, "size") or DEFAULT_KEY_SIZE)
    st = store_of(session.device)
    if cid in st.keys:
        return f"error: Key pair with certificate-id {cid} already exists\n"
    key = rp.generate_rsa_key(size, session.device.rng(f"pki key {cid}"))
    st.put("key", cid, key)
    return f"Generated key pair {cid}, key size {size} bits\n"


def _csr(session, match) -> tuple[Any, str | None]:
    cid = _arg(match, "certificate-id")
    st = store_of(session.device)
    key = st.keys.get(cid)
    if key is None:
        return None, f"error: Key pair for certificate-id {cid} not found\n"
    try:
        subject = rp.parse_subject(_arg(match, "subject") or "")
    except ValueError as e:
        return None, f"error: Invalid subject: {e}\n"
    return rp.make_csr(key, subject, _arg(match, "domain-name"), _arg(match, "ip-address"), _arg(match, "email")), None


@handler("op-request-pki-generate-request")
async def generate_request(session, match, out, io):
    csr, err = _csr(session, match)
    if err:
        return err
    cid = _arg(match, "certificate-id")
    store_of(session.device).put("csr", cid, csr)
    text = rp.pem(csr)
    fname = _arg(match, "filename")
    if fname:
        path = _file(session, fname)
        if path is None:
            return f"error: could not write file {fname}\n"
        from ....config.files import write_atomic

        try:
            write_atomic(path, text)
        except OSError:
            return f"error: could not write file {fname}\n"
    return ("Generated certificate request\n" + text + "Fingerprint:\n"
            f"{rp.fingerprint(csr, 'sha1')} (sha1)\n{rp.fingerprint(csr, 'md5')} (md5)\n")


@handler("op-request-pki-ca-enroll")
async def ca_enroll(session, match, out, io):
    prof, err = _profile(session, _arg(match, "ca-profile"))
    if err:
        return err
    if not prof.url:
        return f"error: No enrollment URL configured for CA profile {prof.name}\n"
    ca = ca_for(session.device, prof)
    if ca is None:
        return f"error: Failed to retrieve CA certificate for profile {prof.name}: no answer from {prof.url}\n"
    return await _confirm_ca(session, io, out, prof.name, ca.certificate)


@handler("op-request-pki-ca-load")
async def ca_load(session, match, out, io):
    prof, err = _profile(session, _arg(match, "ca-profile"))
    if err:
        return err
    cert, err = _read_pem(session, _arg(match, "filename"), x509.load_pem_x509_certificate)
    if err:
        return err
    return await _confirm_ca(session, io, out, prof.name, cert)


@handler("op-request-pki-crl-load")
async def crl_load(session, match, out, io):
    prof, err = _profile(session, _arg(match, "ca-profile"))
    if err:
        return err
    st = store_of(session.device)
    cacert = st.ca.get(prof.name)
    if cacert is None:
        return f"error: CA certificate for profile {prof.name} is not loaded\n"
    crl, err = _read_pem(session, _arg(match, "filename"), x509.load_pem_x509_crl)
    if err:
        return err
    if crl.issuer != cacert.subject or not crl.is_signature_valid(cacert.public_key()):
        return f"error: CRL not issued by the CA certificate of profile {prof.name}\n"
    st.put("crl", prof.name, crl)
    st.crl_fetched[prof.name] = session.device.now()
    return f"CRL for CA profile {prof.name} loaded successfully\n"


@handler("op-request-pki-local-enroll")
async def local_enroll(session, match, out, io):
    prof, err = _profile(session, _arg(match, "ca-profile"))
    if err:
        return err
    if store_of(session.device).ca.get(prof.name) is None:
        return f"error: CA certificate for profile {prof.name} is not loaded\n"
    if not prof.url:
        return f"error: No enrollment URL configured for CA profile {prof.name}\n"
    csr, err = _csr(session, match)
    if err:
        return err
    out.write("Certificate enrollment has started. To view the status of your enrollment, check the public "
              "key infrastructure (PKI) log with the show log pkid command.\n")
    start_enrollment(session.device, prof, _arg(match, "certificate-id"), csr)
    return None


@handler("op-request-pki-local-load")
async def local_load(session, match, out, io):
    cid = _arg(match, "certificate-id")
    st = store_of(session.device)
    key = st.keys.get(cid)
    if key is None:
        return f"error: Key pair for certificate-id {cid} not found\n"
    cert, err = _read_pem(session, _arg(match, "filename"), x509.load_pem_x509_certificate)
    if err:
        return err
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if (cert.public_key().public_bytes(serialization.Encoding.DER, spki)
            != key.public_key().public_bytes(serialization.Encoding.DER, spki)):
        return f"error: Certificate does not match the key pair of certificate-id {cid}\n"
    st.put("cert", cid, cert)
    st.put("csr", cid, None)
    return f"Local certificate {cid} loaded successfully\n"


# ---- show ------------------------------------------------------------------------------------

def _pick(table: dict, name: str | None) -> list:
    return [(k, table[k]) for k in sorted(table) if name is None or k == name]


@handler("op-show-pki-local-certificate")
async def show_local(session, match, out, io):
    st = store_of(session.device)
    where = {k: "Keypair generated locally" for k in st.keys}
    rec, text = shows.certificates("local", "Certificate identifier", _pick(st.local, _arg(match, "certificate-id")),
                                   bool(match.args.get("detail")), where)
    return render(session, rec, text)


@handler("op-show-pki-ca-certificate")
async def show_ca(session, match, out, io):
    st = store_of(session.device)
    rec, text = shows.certificates("ca", "Certificate identifier", _pick(st.ca, _arg(match, "ca-profile")),
                                   bool(match.args.get("detail")))
    return render(session, rec, text)


@handler("op-show-pki-certificate-request")
async def show_requests(session, match, out, io):
    st = store_of(session.device)
    rec, text = shows.requests(_pick(st.requests, _arg(match, "certificate-id")), bool(match.args.get("detail")))
    return render(session, rec, text)


@handler("op-show-pki-crl")
async def show_crl(session, match, out, io):
    st = store_of(session.device)
    rec, text = shows.crls(_pick(st.crls, _arg(match, "ca-profile")), bool(match.args.get("detail")))
    return render(session, rec, text)


@handler("op-show-log-pkid")
async def show_log_pkid(session, match, out, io):
    return "".join(log_line(session, ln.when, ln.text) for ln in session.device.log
                   if ln.text.startswith(PKID + ":"))


# ---- clear -----------------------------------------------------------------------------------

def _clear(session, match, kind: str, table: str, key_arg: str, what: str) -> str | None:
    st = store_of(session.device)
    have = getattr(st, table)
    name = _arg(match, key_arg)
    if name is None and not match.args.get("all"):
        return f"error: specify {key_arg} or all\n"
    names = sorted(have) if name is None else [name]
    if name is not None and name not in have:
        return f"error: {what} {name} not found\n"
    for n in names:
        if kind == "csr":
            en = st.enrollments.pop(n, None)
            if en is not None and en.timer is not None:
                en.timer.cancel()
        if kind == "crl":
            st.crl_fetched.pop(n, None)
        st.put(kind, n, None)
    return None


@handler("op-clear-pki-local-certificate")
async def clear_local(session, match, out, io):
    return _clear(session, match, "cert", "local", "certificate-id", "Local certificate")


@handler("op-clear-pki-ca-certificate")
async def clear_ca(session, match, out, io):
    return _clear(session, match, "ca", "ca", "ca-profile", "CA certificate for profile")


@handler("op-clear-pki-certificate-request")
async def clear_request(session, match, out, io):
    return _clear(session, match, "csr", "requests", "certificate-id", "Certificate request")


@handler("op-clear-pki-crl")
async def clear_crl(session, match, out, io):
    return _clear(session, match, "crl", "crls", "ca-profile", "CRL for CA profile")


@handler("op-clear-pki-key-pair")
async def clear_key_pair(session, match, out, io):
    return _clear(session, match, "key", "keys", "certificate-id", "Key pair")
