"""Independent check of a glassbox report envelope (report.dsse.json).

Verifies the DSSE signature with securesystemslib (PyPI), then validates
the in-toto Statement with in-toto-attestation (PyPI), the reference
implementations named by DSSE and in-toto. Usage:

    python3 check_report_envelope.py ENVELOPE PUBLIC_KEY_PEM

Prints "ok <n> subjects <predicateType>" and exits 0, or raises.
"""

import hashlib
import json
import sys

from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey

envelope_path, key_path = sys.argv[1], sys.argv[2]
with open(key_path, "rb") as f:
    public = load_pem_public_key(f.read())
# glassbox's keyid: hex SHA-256 of the DER SubjectPublicKeyInfo.
spki = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
key = SSlibKey.from_crypto(public, keyid=hashlib.sha256(spki).hexdigest())

with open(envelope_path, "rb") as f:
    envelope = Envelope.from_dict(json.load(f))
verified = envelope.verify([key], 1)  # raises VerificationError
assert key.keyid in verified, verified
assert envelope.payload_type == "application/vnd.in-toto+json"

statement = json_format.Parse(envelope.payload, statement_pb2.Statement())
Statement.copy_from_pb(statement).validate()  # raises ValueError
assert statement.type == "https://in-toto.io/Statement/v1", statement.type
assert statement.predicate_type == "https://glassbox.dev/audit-report/v1"
for subject in statement.subject:
    assert len(subject.digest["sha256"]) == 64, subject
print(f"ok {len(statement.subject)} subjects {statement.predicate_type}")
