#!/usr/bin/env bash
# Benchmark: RPM signature verification, glassbox against rpm's own
# `rpmkeys --checksig` on the same packages with the same key. The packages
# are built here with rpmbuild (a small one, and one with a 64 MiB xz
# payload of random data) and signed with rpmsign by a key of a throw-away
# GnuPG home; rpmkeys gets that key imported into a temporary rpm database
# (--dbpath), glassbox gets it as the policy's [[openpgp]] keyring. Both
# check the header signature, the header digest and the payload digest;
# glassbox also reads the payload and checks every file against the header.
# Prints each tool's median over RUNS runs (after one warm-up) and the ratio
# glassbox / rpmkeys.
#
# Usage: bench/rpm.sh   (RUNS=5; NO_BUILD=1 times the binary already built,
#                        GB=path/to/glassbox times that one, e.g. a debug build)
source "$(dirname "$0")/lib.sh"
bench_start
RUNS=${RUNS:-5}
need_tool rpmbuild "apt-get install rpm"
need_tool rpmsign "apt-get install rpm"
need_tool gpg "apt-get install gnupg"
need_gnu_time
if [ -z "${GB:-}" ]; then build_glassbox; fi

work=$BENCH_TMP/rpm
mkdir -p "$work"
export GNUPGHOME=$work/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --passphrase '' --quick-gen-key 'Bench <bench@rpm.example>' rsa3072 sign never 2>/dev/null
gpg --export bench@rpm.example >"$work/vendor.gpg"
printf '[[openpgp]]\nname = "vendor"\nkeyring = "%s"\n' "$work/vendor.gpg" >"$work/policy.toml"
rpmkeys --dbpath "$work/rpmdb" --initdb 2>/dev/null || true
gpg --armor --export bench@rpm.example >"$work/vendor.asc"
rpmkeys --dbpath "$work/rpmdb" --import "$work/vendor.asc"

build() { # build NAME MIB: a package holding MIB MiB of random data
  local name=$1 mib=$2
  cat >"$work/$name.spec" <<SPEC
Name: $name
Version: 1
Release: 1
Summary: bench
License: MIT
BuildArch: noarch
%description
bench
%install
mkdir -p %{buildroot}/usr/share/$name
head -c $((mib * 1024 * 1024)) /dev/urandom > %{buildroot}/usr/share/$name/data.bin
printf '#!/bin/sh\necho hi\n' > %{buildroot}/usr/share/$name/run.sh
ln -s data.bin %{buildroot}/usr/share/$name/link
%files
/usr/share/$name
SPEC
  rpmbuild -bb --quiet --define "_topdir $work/top" --define "_binary_payload w1.xzdio" \
    "$work/$name.spec" >/dev/null 2>&1
  cp "$work/top/RPMS/noarch/$name-1-1.noarch.rpm" "$work/$name.rpm"
  rpmsign --addsign --define "__gpg $(command -v gpg)" --define "_gpg_name bench@rpm.example" \
    "$work/$name.rpm" >/dev/null 2>&1
}
build small 0
build large 64

printf '%-10s %12s %10s %10s %7s\n' package bytes glassbox rpmkeys ratio
for name in small large; do
  pkg=$work/$name.rpm
  read -r gb_wall _ _ < <(measure 0 "$GB" verify --policy "$work/policy.toml" "$pkg")
  read -r rk_wall _ _ < <(measure 0 rpmkeys --dbpath "$work/rpmdb" --checksig "$pkg")
  printf '%-10s %12s %10s %10s %7.2f\n' "$name" "$(stat -c %s "$pkg")" "$gb_wall" "$rk_wall" \
    "$(echo "$gb_wall / $rk_wall" | bc -l)"
done
bench_failures && exit 1
