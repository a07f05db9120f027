"""Extracts archives with Python's tarfile and zipfile, as the harness in
cli/tests/differential.rs asks: one job per line on stdin,
`ID<TAB>MODE<TAB>ARCHIVE<TAB>DEST`, MODE one of `tar-default` (fully
trusted, Python < 3.14's default), `tar-data` (filter='data', PEP 706,
Python 3.11.4+) or `zipfile` (ZipFile.extractall). Prints `ID<TAB>ok`, or
`ID<TAB>error<TAB>message` when the library raised, and
`ID<TAB>escape<TAB>HEXNAME` for each member the default tar extraction
would have written outside DEST: those are recorded, not written, so the
harness never lets an archive touch the machine running it (every other
member is extracted as the library would)."""

import os
import sys
import tarfile
import zipfile


def guarded(t, dest, escapes):
    """The members of `t`, each checked just before extractall writes it
    (extractall consumes them one by one): realpath follows the symlinks
    already extracted, as the write would."""
    real = os.path.realpath(dest)

    def inside(p):
        return p == real or p.startswith(real + os.sep)

    for m in t:
        bad = not inside(os.path.realpath(os.path.join(dest, m.name)))
        if m.islnk():
            bad = bad or not inside(os.path.realpath(os.path.join(dest, m.linkname)))
        if bad:
            escapes.append(os.fsencode(m.name).hex())
            continue
        yield m


def run(mode, archive, dest):
    escapes = []
    if mode == "tar-default":
        with tarfile.open(archive) as t:
            # Python < 3.14 extracts fully trusted by default; say so where
            # the filter argument exists (3.11.4+), to skip its warning.
            kw = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
            t.extractall(dest, members=guarded(t, dest, escapes), **kw)
    elif mode == "tar-data":
        with tarfile.open(archive) as t:
            t.extractall(dest, filter="data")
    elif mode == "zipfile":
        with zipfile.ZipFile(archive) as z:
            z.extractall(dest)
    else:
        raise ValueError("unknown mode " + mode)
    return escapes


def main():
    out = sys.stdout
    for line in sys.stdin.read().splitlines():
        if not line:
            continue
        job, mode, archive, dest = line.split("\t")
        try:
            escapes = run(mode, archive, dest)
        except Exception as e:  # any failure is this tool refusing
            msg = (type(e).__name__ + ": " + str(e)).replace("\t", " ").replace("\n", " ")
            out.write(f"{job}\terror\t{msg}\n")
            continue
        for e in escapes:
            out.write(f"{job}\tescape\t{e}\n")
        out.write(f"{job}\tok\n")
    out.flush()


if __name__ == "__main__":
    main()
