#!/usr/bin/env bash
# Builds the seed corpora fuzz/corpus/<target>/ from testdata/, from the
# conformance corpora under $GLASSBOX_CORPORA (default /work/shared/corpora)
# and from small archives, keys and signatures made here with the real tools
# (GNU tar, zip, ar, openssl). fuzz/corpus/ is gitignored: seeds are rebuilt,
# never committed. Idempotent: files are named by content hash.
#
# Usage: fuzz/seed.sh            (from anywhere)
set -euo pipefail
FUZZ_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$FUZZ_DIR")
CORPORA=${GLASSBOX_CORPORA:-/work/shared/corpora}
CORPUS=$FUZZ_DIR/corpus
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$CORPUS"

# --- made here: archives in every format the release reader knows --------
mk=$WORK/mk
mkdir -p "$mk/src/dir/sub"
printf 'hello\n' >"$mk/src/a.txt"
printf '#!/bin/sh\necho hi\n' >"$mk/src/dir/run.sh"
chmod 755 "$mk/src/dir/run.sh"
head -c 3000 /dev/zero >"$mk/src/dir/sub/zeros.bin"
ln -sf ../a.txt "$mk/src/dir/link"
(cd "$mk/src" && for f in ustar gnu pax v7; do
    tar --format=$f -cf "$mk/$f.tar" a.txt dir 2>/dev/null || true
done)
(cd "$mk/src" && tar --format=pax --pax-option=comment=x -cf "$mk/pax-ext.tar" a.txt)
(cd "$mk/src" && tar --format=gnu -cf "$mk/longname.tar" \
    --transform 's|^|'"$(printf 'x%.0s' $(seq 1 120))"'/|' a.txt)
(cd "$mk/src" && zip -qry "$mk/plain.zip" a.txt dir)
(cd "$mk/src" && zip -q0 "$mk/stored.zip" a.txt)
cp "$mk/ustar.tar" "$mk/inner.tar"
(cd "$mk" && zip -q "$mk/nested.zip" inner.tar)
(cd "$mk/src" && tar -czf "$mk/control.tar.gz" a.txt && tar -cJf "$mk/data.tar.xz" dir)
printf '2.0\n' >"$mk/debian-binary"
(cd "$mk" && ar rc "$mk/pkg.deb" debian-binary control.tar.gz data.tar.xz)
(cd "$mk" && tar -cf "$mk/nested.tar" plain.zip pkg.deb)

seed() { # seed TARGET FILE [PREFIX-BYTE-HEX]
    local dir=$CORPUS/$1 tmp
    mkdir -p "$dir"
    tmp=$WORK/seed.$$
    if [ $# -ge 3 ]; then
        { printf "\\x$3"; cat "$2"; } >"$tmp"
    else
        cat "$2" >"$tmp"
    fi
    mv "$tmp" "$dir/$(sha1sum "$tmp" | cut -c1-40)"
}

for f in "$mk"/*.tar; do seed tar "$f"; done
for f in "$mk"/*.zip; do seed zip "$f"; done
seed ar_deb "$mk/pkg.deb"
# rpm: a package made by rpmbuild (and one with an xz payload).
if command -v rpmbuild >/dev/null; then
    mkdir -p "$mk/rpm"
    printf 'Name: f\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\nBuildArch: noarch\n%%description\nd\n%%install\nmkdir -p %%{buildroot}/usr/bin\necho hi > %%{buildroot}/usr/bin/a\nln -s a %%{buildroot}/usr/bin/b\n%%files\n/usr/bin/a\n/usr/bin/b\n' >"$mk/rpm/f.spec"
    for p in w9.gzdio w6.xzdio; do
        rpmbuild -bb --quiet --define "_topdir $mk/rpm/$p" --define "_binary_payload $p" "$mk/rpm/f.spec" >/dev/null 2>&1
        seed rpm "$mk/rpm/$p/RPMS/noarch/f-1-1.noarch.rpm"
    done
fi
for f in "$CORPORA"/vendor-channels/*/*.deb; do
    [ "$(stat -c %s "$f")" -le 1048576 ] && seed ar_deb "$f"
done
# compressed: the target prepends the codec's magic, so seeds are the
# stream without it and the first byte picks the codec (0 gz, 1 xz, 2 zst,
# 3 bz2).
gzip -c "$mk/ustar.tar" | tail -c +3 >"$WORK/c0"; seed compressed "$WORK/c0" 00
xz -c "$mk/ustar.tar" | tail -c +7 >"$WORK/c1"; seed compressed "$WORK/c1" 01
zstd -qc "$mk/ustar.tar" | tail -c +5 >"$WORK/c2"; seed compressed "$WORK/c2" 02
bzip2 -c "$mk/ustar.tar" | tail -c +11 >"$WORK/c3"; seed compressed "$WORK/c3" 03
seed tar "$REPO/testdata/demo/releases/exampleav-1.0.0.tar.gz" # sniffed by content

# --- keys and CMS signatures made with openssl ---------------------------
k=$WORK/keys
mkdir -p "$k"
openssl genpkey -algorithm ed25519 -out "$k/ed.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$k/p256.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$k/p384.key" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$k/rsa.key" 2>/dev/null
for key in ed p256 p384 rsa; do
    openssl pkey -in "$k/$key.key" -pubout -out "$k/$key.pub"
    openssl pkey -in "$k/$key.key" -pubout -outform DER -out "$k/$key.pub.der"
    openssl pkcs8 -topk8 -nocrypt -in "$k/$key.key" -outform DER -out "$k/$key.p8.der"
    for f in "$k/$key.key" "$k/$key.pub" "$k/$key.pub.der" "$k/$key.p8.der"; do
        seed public_key "$f"
    done
done
seed public_key "$REPO/testdata/demo/auditor/TEST-ONLY-auditor.key.pub"
openssl req -x509 -new -key "$k/p256.key" -subj /CN=fuzz-signer -days 3650 \
    -addext extendedKeyUsage=codeSigning -out "$k/cert.pem" 2>/dev/null
printf 'content' >"$k/content"
openssl cms -sign -binary -in "$k/content" -signer "$k/cert.pem" -inkey "$k/p256.key" \
    -outform DER -out "$k/detached.p7s" 2>/dev/null
openssl cms -sign -binary -nodetach -in "$k/content" -signer "$k/cert.pem" \
    -inkey "$k/p256.key" -outform DER -out "$k/attached.p7s" 2>/dev/null
seed cms "$k/detached.p7s"
seed cms "$k/attached.p7s"
for f in "$REPO"/testdata/demo/releases/*/*.p7s "$REPO"/testdata/demo/releases/*/*/*.p7s \
    "$REPO"/testdata/demo/releases/*/SHA256SUMS; do
    [ -f "$f" ] && seed cms "$f"
done

# --- OpenPGP: keys and signatures made with gpg; Debian's InRelease ------
# The target reads chunks (2-byte length + bytes): keyring, signature,
# content. frame() packs files that way.
frame() { python3 -c 'import struct,sys
out=b""
for p in sys.argv[1:]:
    d=open(p,"rb").read()[:65535]
    out+=struct.pack(">H",len(d))+d
sys.stdout.buffer.write(out)' "$@"; }
if command -v gpg >/dev/null; then
    g=$WORK/gnupg
    mkdir -m 700 "$g"
    gpgb() { gpg --homedir "$g" --batch --pinentry-mode loopback --passphrase '' "$@" 2>/dev/null; }
    gpgb --quick-gen-key 'Fuzz RSA <r@fuzz.invalid>' rsa2048 sign 0
    gpgb --quick-gen-key 'Fuzz Ed <e@fuzz.invalid>' ed25519 cert 0
    ed=$(gpgb --with-colons -k e@fuzz.invalid | awk -F: '/^fpr/{print $10; exit}')
    gpgb --quick-add-key "$ed" ed25519 sign 0
    gpgb --export >"$k/ring.gpg"
    gpgb --armor --export >"$k/ring.asc"
    gpgb -u r@fuzz.invalid --detach-sign -o "$k/c.sig" "$k/content"
    gpgb -u e@fuzz.invalid --armor --detach-sign -o "$k/c.asc" "$k/content"
    gpgb -u r@fuzz.invalid -u e@fuzz.invalid --clearsign -o "$k/c.clear" "$k/content"
    for sig in c.sig c.asc c.clear; do
        frame "$k/ring.gpg" "$k/$sig" "$k/content" >"$WORK/pgp"; seed openpgp "$WORK/pgp"
        frame "$k/ring.asc" "$k/$sig" "$k/content" >"$WORK/pgp"; seed openpgp "$WORK/pgp"
    done
fi
apt=$CORPORA/vendor-channels/apt-bookworm-updates
[ -f "$apt/InRelease" ] && seed openpgp "$apt/InRelease"

# --- Authenticode: Debian's signed EFI images (vendor-channels corpus) ----
for deb in "$CORPORA"/vendor-channels/authenticode/*.deb; do
    [ -f "$deb" ] || continue
    d=$WORK/efi.$$
    mkdir -p "$d"
    (cd "$d" && ar x "$deb" && tar xf data.tar.* --wildcards '*.efi.signed' 2>/dev/null) || true
    find "$d" -name '*.efi.signed' -size -200k | while read -r f; do seed authenticode "$f"; done
    rm -rf "$d"
done

# --- corpora: DSSE, Sigstore, TUF, tlog, x509-limbo -----------------------
for f in "$CORPORA"/dsse/*.json "$REPO"/testdata/demo/releases/*/*.intoto.jsonl; do
    [ -f "$f" ] && seed dsse_envelope "$f"
done
for f in "$CORPORA"/sigstore-conformance/bundle-verify/*/bundle.sigstore.json; do
    seed sigstore_bundle "$f"
done
for f in "$CORPORA"/tlog/c2sp/*.note "$CORPORA"/tlog/c2sp/negative/*.note \
    "$CORPORA"/tlog/c2sp/*.tlog-proof "$CORPORA"/tlog/c2sp/*.vkey \
    "$REPO"/testdata/demo/log/checkpoint "$REPO"/testdata/demo/log/vkey \
    "$REPO"/testdata/demo/log/*.tlog-proof; do
    [ -f "$f" ] && seed tlog "$f" 00
done
# Modes 1 and 2: checkpoint bodies the target signs, proofs it re-signs.
for f in "$CORPORA"/tlog/c2sp/*.tlog-proof "$REPO"/testdata/demo/log/*.tlog-proof; do
    [ -f "$f" ] && seed tlog "$f" 02
done
for f in "$REPO"/testdata/demo/log/tile/*/000.p/*; do seed tlog "$f" 03; done

python3 - "$CORPORA" "$CORPUS" "$REPO" <<'PY'
import hashlib, json, os, re, struct, sys
corpora, corpus, repo = sys.argv[1:4]

def put(target, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)

def frame(chunks):
    return b"".join(struct.pack(">H", len(c)) + c for c in chunks if len(c) < 65536)

def pem_to_der(pem):
    import base64
    body = re.findall(r"-----BEGIN [^-]+-----(.*?)-----END", pem, re.S)
    return [base64.b64decode("".join(b.split())) for b in body]

# tlog mode 1: the checkpoint body (note text) of every checkpoint.
for d in (os.path.join(corpora, "tlog/c2sp"), os.path.join(repo, "testdata/demo/log")):
    for name in os.listdir(d):
        p = os.path.join(d, name)
        if name.endswith(".note") or name == "checkpoint":
            text = open(p, "rb").read().split(b"\n\n")[0] + b"\n"
            put("tlog", b"\x01" + text)

# x509_chain: leaf, intermediates, root (DER and PEM), plus CRLs.
limbo = json.load(open(os.path.join(corpora, "x509-limbo/limbo-dev.json")))
for i, t in enumerate(limbo["testcases"]):
    if i % 4:
        continue  # a quarter of the ~1000 cases is plenty of seeds
    parts = [t["peer_certificate"]] + t["untrusted_intermediates"] + t["trusted_certs"]
    ders = [d for p in parts for d in pem_to_der(p)]
    crls = [d for c in t.get("crls") or [] for d in pem_to_der(c)]
    put("x509_chain", frame(ders + crls))
    if i % 16 == 0:
        put("x509_chain", frame([p.encode() for p in parts]))

# tuf: single metadata files, and whole repositories framed as the target
# reads them: the trusted root, then `name NUL bytes` per metadata file.
tuf = os.path.join(corpora, "tuf")
cases = []
for base in ("generated/cases", "real-world"):
    top = os.path.join(tuf, base)
    if os.path.isdir(top):
        cases += [os.path.join(top, c) for c in sorted(os.listdir(top))]
for case in cases:
    runs = [case] + [os.path.join(case, s) for s in ("step1", "step2")]
    for run in runs:
        meta = os.path.join(run, "metadata")
        anchor = os.path.join(case, "initial_root.json")
        if not (os.path.isdir(meta) and os.path.isfile(anchor)):
            continue
        files = []
        for name in sorted(os.listdir(meta)):
            data = open(os.path.join(meta, name), "rb").read()
            if len(data) < 16384:
                put("tuf", data)
            files.append(name.encode() + b"\0" + data)
        put("tuf", frame([open(anchor, "rb").read()] + files))
PY

for t in "$CORPUS"/*; do
    printf '%-16s %5d seeds\n' "$(basename "$t")" "$(ls "$t" | wc -l)"
done
