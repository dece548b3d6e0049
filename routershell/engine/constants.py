"""IKEv1 / ISAKMP protocol numbers (RFC 2407 IPsec DOI, RFC 2408 ISAKMP, RFC 2409 IKE, RFC 3706 DPD).

Plain int constants grouped by namespace classes so `Exchange.MAIN` reads like the RFC tables.
"""

from __future__ import annotations

ISAKMP_VERSION = 0x10  # major 1, minor 0
DOI_IPSEC = 1
SIT_IDENTITY_ONLY = 1
HEADER_LEN = 28


class Exchange:
    BASE = 1
    MAIN = 2  # Identity Protection
    AUTH_ONLY = 3
    AGGRESSIVE = 4
    INFORMATIONAL = 5
    TRANSACTION = 6
    QUICK = 32


class Flag:
    ENCRYPTED = 0x01
    COMMIT = 0x02
    AUTH_ONLY = 0x04


class Payload:
    NONE = 0
    SA = 1
    PROPOSAL = 2
    TRANSFORM = 3
    KE = 4
    ID = 5
    CERT = 6
    CR = 7
    HASH = 8
    SIG = 9
    NONCE = 10
    N = 11
    D = 12
    VID = 13


class Proto:
    ISAKMP = 1
    AH = 2
    ESP = 3
    IPCOMP = 4


KEY_IKE = 1  # phase-1 transform id


class EspTransform:
    DES = 2
    TRIPLE_DES = 3
    NULL = 11
    AES = 12


class AhTransform:
    MD5 = 2
    SHA = 3
    SHA2_256 = 5


class IkeAttr:
    """Phase-1 transform attribute types (RFC 2409 App. A)."""

    ENCRYPTION = 1
    HASH = 2
    AUTH_METHOD = 3
    GROUP_DESCRIPTION = 4
    GROUP_TYPE = 5
    LIFE_TYPE = 11
    LIFE_DURATION = 12
    PRF = 13
    KEY_LENGTH = 14


class IkeEncr:
    DES = 1
    TRIPLE_DES = 5
    AES = 7


class IkeHash:
    MD5 = 1
    SHA = 2
    SHA2_256 = 4


class AuthMethod:
    PSK = 1
    DSS = 2
    RSA_SIG = 3


class LifeType:
    SECONDS = 1
    KILOBYTES = 2


class IpsecAttr:
    """Phase-2 transform attribute types (RFC 2407 §4.5)."""

    LIFE_TYPE = 1
    LIFE_DURATION = 2
    GROUP_DESCRIPTION = 3
    ENCAPSULATION = 4
    AUTH_ALGORITHM = 5
    KEY_LENGTH = 6


class Encap:
    TUNNEL = 1
    TRANSPORT = 2


class IpsecAuth:
    HMAC_MD5 = 1
    HMAC_SHA = 2
    HMAC_SHA2_256 = 5


class IdType:
    IPV4_ADDR = 1
    FQDN = 2
    USER_FQDN = 3
    IPV4_ADDR_SUBNET = 4
    IPV6_ADDR = 5
    IPV6_ADDR_SUBNET = 6
    IPV4_ADDR_RANGE = 7
    DER_ASN1_DN = 9
    KEY_ID = 11


class CertEncoding:
    X509_SIG = 4


class Notify:
    INVALID_PAYLOAD_TYPE = 1
    DOI_NOT_SUPPORTED = 2
    SITUATION_NOT_SUPPORTED = 3
    INVALID_COOKIE = 4
    INVALID_MAJOR_VERSION = 5
    INVALID_MINOR_VERSION = 6
    INVALID_EXCHANGE_TYPE = 7
    INVALID_FLAGS = 8
    INVALID_MESSAGE_ID = 9
    INVALID_PROTOCOL_ID = 10
    INVALID_SPI = 11
    INVALID_TRANSFORM_ID = 12
    ATTRIBUTES_NOT_SUPPORTED = 13
    NO_PROPOSAL_CHOSEN = 14
    BAD_PROPOSAL_SYNTAX = 15
    PAYLOAD_MALFORMED = 16
    INVALID_KEY_INFORMATION = 17
    INVALID_ID_INFORMATION = 18
    INVALID_CERT_ENCODING = 19
    INVALID_CERTIFICATE = 20
    CERT_TYPE_UNSUPPORTED = 21
    INVALID_CERT_AUTHORITY = 22
    INVALID_HASH_INFORMATION = 23
    AUTHENTICATION_FAILED = 24
    INVALID_SIGNATURE = 25
    ADDRESS_NOTIFICATION = 26
    NOTIFY_SA_LIFETIME = 27
    CERTIFICATE_UNAVAILABLE = 28
    UNSUPPORTED_EXCHANGE_TYPE = 29
    UNEQUAL_PAYLOAD_LENGTHS = 30
    # status types
    CONNECTED = 16384
    RESPONDER_LIFETIME = 24576
    REPLAY_STATUS = 24577
    INITIAL_CONTACT = 24578
    # RFC 3706
    R_U_THERE = 36136
    R_U_THERE_ACK = 36137


# RFC 3706 vendor ID: md5("CISCO-DEAD-PEER-DETECTION")[:14] + major 1, minor 0.
DPD_VENDOR_ID = bytes.fromhex("afcad71368a1f1c96b8696fc77570100")
