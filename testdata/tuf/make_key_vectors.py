#!/usr/bin/env python3
"""Writes key_vectors.json: one TUF key per supported keytype/scheme, as
securesystemslib lists it (keyid = securesystemslib's), with a signature by
that key over MESSAGE and a signature over a different message (which must
not verify). Keys are freshly generated each run; the file is a fixed test
vector once committed.

Requires: pip install securesystemslib[crypto] (tested with 1.6.0).
"""

import json
import os

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from securesystemslib.signer import CryptoSigner

MESSAGE = b'{"_type":"glassbox-key-vector","version":1}'


def signer(kind):
    if kind == "ed25519":
        return CryptoSigner(ed25519.Ed25519PrivateKey.generate())
    if kind == "p256":
        return CryptoSigner(ec.generate_private_key(ec.SECP256R1()))
    if kind == "p384":
        return CryptoSigner(ec.generate_private_key(ec.SECP384R1()))
    if kind == "rsa":
        return CryptoSigner(rsa.generate_private_key(65537, 3072))
    raise ValueError(kind)


vectors = []
for kind in ["ed25519", "p256", "p384", "rsa"]:
    s = signer(kind)
    key = s.public_key
    vectors.append({
        "name": kind,
        "keyid": key.keyid,
        "key": key.to_dict(),
        "message": MESSAGE.decode(),
        "sig": s.sign(MESSAGE).signature,
        "sig_other_message": s.sign(MESSAGE + b" ").signature,
    })
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "key_vectors.json")
with open(out, "w") as f:
    json.dump(vectors, f, indent=1)
    f.write("\n")
print(f"wrote {out}")
