"""Cognito's Secure Remote Password (SRP-6a) arithmetic, for both ends.

What Amazon Cognito uses, as published in its own client libraries
(amazon-cognito-identity-js `src/AuthenticationHelper.js`, `DateHelper.js`; pycognito
`aws_srp.py`):

- the 3072-bit group of RFC 5054 (`N`), generator `g = 2`, SHA-256;
- `k = H(pad(N) | pad(g))`, `u = H(pad(A) | pad(B))`, where `pad` is the hex form with a
  leading `0` for an odd length and `00` when the first digit is 8-f (a positive number);
- the password secret `x = H(pad(salt) | H(<pool name without region>_<user id>:<password>))`
  — the user id is `USER_ID_FOR_SRP`; for a device it is `H(<DeviceGroupKey><DeviceKey>:<random password>)`;
- the key `HKDF-SHA256(ikm=pad(S), salt=pad(u), info="Caldera Derived Key" 0x01)`, 16 bytes;
- the claim `HMAC-SHA256(key, <pool name or DeviceGroupKey> | <user id or DeviceKey> |
  base64-decoded SECRET_BLOCK | TIMESTAMP)`, base64;
- `TIMESTAMP` as `"%a %b %-d %H:%M:%S UTC %Y"` in English, the day of the month not padded.

The embedded pool verifies with `server_*`; the harness's own app flows sign in with
`SrpClient`. No secret is kept longer than the call that needs it.

The modular exponentiations (`modpow`) use GMP through gmpy2 (a dependency of the
project): the same numbers as Python's `pow`, 3–10× faster on this 3072-bit group, where
one Python `pow` costs 10–40 ms — an SRP sign-in makes ~5 of them. The powers of `g`
(the client's A = g^a, g^x; the server's g^b; verifiers) come from a table of g's powers
(`g_pow`), 3–4× faster again than GMP's square-and-multiply; the same numbers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timezone

import threading

try:
    from gmpy2 import mpz as _mpz, powmod as _gmp_powmod
except ImportError as err:
    raise ImportError("cognito_harness needs gmpy2 (a dependency in pyproject.toml, for SRP's arithmetic): "
                      "run `.venv/bin/pip install -e .` or `bash scripts/setup.sh`") from err


def modpow(base: int, exponent: int, modulus: int) -> int:
    """base ** exponent mod modulus, as Python's pow(base, exponent, modulus) (exponent >= 0)."""
    return int(_gmp_powmod(base, exponent, modulus))

N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
INFO = b"Caldera Derived Key"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TIMESTAMP_RE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"([1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]) UTC ([0-9]{4})$")


class _PowersOfG:
    """g^e mod N from a table of g^(d·2^(W·i)) (every W-bit digit d, every position i): the
    product of one entry per W-bit digit of e — one multiplication per W bits of e, where
    square-and-multiply makes one squaring per bit. Built on first use (~6,600 entries,
    ~3 MB, 20–40 ms), for exponents up to BITS bits (SRP's a is 1024 bits, x and b 256);
    a larger one goes to modpow."""

    W = 5
    BITS = 1040

    def __init__(self) -> None:
        self._rows: tuple | None = None
        self._lock = threading.Lock()

    def _table(self) -> tuple:
        rows = self._rows
        if rows is None:
            with self._lock:
                if self._rows is None:
                    n, base, built = _mpz(N), _mpz(G), []
                    for _ in range(-(-self.BITS // self.W)):
                        row = [_mpz(1), base]
                        for _ in range(2, 1 << self.W):
                            row.append(row[-1] * base % n)
                        built.append(tuple(row))
                        base = row[-1] * base % n  # g^(2^(W·(i+1)))
                    self._rows = tuple(built)
                rows = self._rows
        return rows

    def __call__(self, exponent: int) -> int:
        if exponent < 0 or exponent.bit_length() > self.BITS:
            return modpow(G, exponent, N)
        n, mask, width = _mpz(N), (1 << self.W) - 1, self.W
        result, rest = _mpz(1), _mpz(exponent)
        for row in self._table():
            if not rest:
                break
            digit = int(rest & mask)
            if digit:
                result = result * row[digit] % n
            rest >>= width
        return int(result)


def pad_hex(value: int | str) -> str:
    text = value if isinstance(value, str) else f"{value:x}"
    if len(text) % 2:
        return "0" + text
    if text[:1] in "89ABCDEFabcdef":
        return "00" + text
    return text


def hash_hex(hex_text: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_text)).hexdigest().rjust(64, "0")


def hash_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest().rjust(64, "0")


K = int(hash_hex(pad_hex(N) + pad_hex(G)), 16)
g_pow = _PowersOfG()  # g_pow(e) == modpow(G, e, N)


def scramble(big_a: int, big_b: int) -> int:
    """u = H(pad(A) | pad(B))."""
    return int(hash_hex(pad_hex(big_a) + pad_hex(big_b)), 16)


def secret_x(salt_hex: str, realm: str, identity: str, password: str) -> int:
    """x = H(pad(salt) | H(realm | identity | ":" | password)); realm is the pool name without
    its region prefix (or the DeviceGroupKey), identity the USER_ID_FOR_SRP (or the DeviceKey)."""
    return int(hash_hex(pad_hex(int(salt_hex, 16)) + hash_text(f"{realm}{identity}:{password}")), 16)


def verifier(salt_hex: str, realm: str, identity: str, password: str) -> int:
    return g_pow(secret_x(salt_hex, realm, identity, password))


def hkdf16(s_value: int, u_value: int) -> bytes:
    prk = hmac.new(bytes.fromhex(pad_hex(u_value)), bytes.fromhex(pad_hex(s_value)), hashlib.sha256).digest()
    return hmac.new(prk, INFO + b"\x01", hashlib.sha256).digest()[:16]


def claim_signature(key: bytes, realm: str, identity: str, secret_block_b64: str, timestamp: str) -> str:
    message = (realm.encode("utf-8") + identity.encode("utf-8") + base64.b64decode(secret_block_b64)
               + timestamp.encode("utf-8"))
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")


def timestamp(epoch_seconds: float) -> str:
    """Cognito's TIMESTAMP: "Tue Nov 3 09:05:07 UTC 2026" (English, day not padded)."""
    t = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return (f"{_DAYS[t.weekday()]} {_MONTHS[t.month - 1]} {t.day} "
            f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} UTC {t.year}")


def parse_timestamp(text: str) -> float | None:
    """The epoch seconds of a well-formed TIMESTAMP whose weekday is right; else None."""
    match = TIMESTAMP_RE.match(text or "")
    if not match:
        return None
    day, month, mday, hh, mm, ss, year = match.groups()
    try:
        t = datetime(int(year), _MONTHS.index(month) + 1, int(mday), int(hh), int(mm), int(ss), tzinfo=timezone.utc)
    except ValueError:  # Feb 30
        return None
    if _DAYS[t.weekday()] != day:
        return None
    return t.timestamp()


def new_salt_hex() -> str:
    """16 random bytes as hex whose first digit is not 0, so every client reads it the same
    way (amazon-cognito-identity-js parses SALT into a number, pycognito pads the string)."""
    while True:
        salt = secrets.token_hex(16)
        if salt[0] != "0":
            return salt


def hex_to_b64(hex_text: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_text)).decode("ascii")


def b64_to_hex(b64_text: str) -> str:
    return base64.b64decode(b64_text, validate=True).hex()


# --- the server's side (the embedded pool) -----------------------------------------------

def server_b(verifier_value: int) -> tuple[int, int]:
    """(b, B) with B = k·v + g^b mod N, B ≠ 0 mod N."""
    while True:
        small_b = secrets.randbits(256) % N
        big_b = (K * verifier_value + g_pow(small_b)) % N
        if big_b % N and small_b:
            return small_b, big_b


def server_key(big_a: int, small_b: int, big_b: int, verifier_value: int) -> bytes | None:
    """The HKDF key the client must have derived; None when A or u make the exchange unsafe."""
    if big_a % N == 0:
        return None
    u_value = scramble(big_a, big_b)
    if u_value == 0:
        return None
    s_value = modpow(big_a * modpow(verifier_value, u_value, N), small_b, N)
    return hkdf16(s_value, u_value)


# --- the client's side (the harness's own app flows) --------------------------------------

class SrpClient:
    """One SRP exchange as an app makes it: `a` random, A = g^a mod N."""

    def __init__(self) -> None:
        while True:
            self._a = secrets.randbits(1024) % N
            self.big_a = g_pow(self._a)
            if self.big_a % N:
                break

    @property
    def srp_a(self) -> str:
        return f"{self.big_a:x}"

    def claim(self, realm: str, identity: str, password: str, challenge: dict, stamp: str) -> str:
        """PASSWORD_CLAIM_SIGNATURE over `stamp` for a PASSWORD_VERIFIER or
        DEVICE_PASSWORD_VERIFIER challenge's parameters."""
        big_b = int(challenge["SRP_B"], 16)
        u_value = scramble(self.big_a, big_b)
        x_value = secret_x(challenge["SALT"], realm, identity, password)
        s_value = modpow(big_b - K * g_pow(x_value), self._a + u_value * x_value, N)
        return claim_signature(hkdf16(s_value, u_value), realm, identity, challenge["SECRET_BLOCK"], stamp)

    def signature(self, realm: str, identity: str, password: str, challenge: dict, now: float) -> tuple[str, str]:
        """(PASSWORD_CLAIM_SIGNATURE, TIMESTAMP) with the TIMESTAMP of `now` (epoch seconds)."""
        stamp = timestamp(now)
        return self.claim(realm, identity, password, challenge, stamp), stamp


def device_verifier_config(device_group_key: str, device_key: str) -> tuple[str, dict]:
    """What an app sends to ConfirmDevice: (random device password, DeviceSecretVerifierConfig)."""
    password = base64.b64encode(secrets.token_bytes(40)).decode("ascii")
    salt = pad_hex(secrets.randbits(128) or 1)
    value = verifier(salt, device_group_key, device_key, password)
    return password, {"PasswordVerifier": hex_to_b64(pad_hex(value)), "Salt": hex_to_b64(salt)}


def pool_realm(user_pool_id: str) -> str:
    """The pool name SRP uses: the pool id without its region prefix."""
    return user_pool_id.split("_", 1)[1]
