#!/usr/bin/env bash
# Builds the Debian packages (cpack), unpacks them into a scratch root (dpkg -x, as an
# install would lay them out, without root) and runs the unpacked program and Python
# package from another folder: encode, fire, read, study's list, a case store and
# `import microstamp`.
set -euo pipefail
build=$1
scratch="$build/check-debian-package"
rm -rf "$scratch" && mkdir -p "$scratch/root" "$scratch/elsewhere"
unset MICROSTAMP_DATA
(cd "$build" && cpack -G DEB -B "$scratch/packages" >/dev/null)
for package in "$scratch"/packages/*.deb; do
  echo "$(basename "$package"): $(dpkg-deb -f "$package" Depends)"
  dpkg -x "$package" "$scratch/root"
done
root="$scratch/root"
export LD_LIBRARY_PATH="$root/usr/lib:$root/usr/lib/x86_64-linux-gnu"
program="$root/usr/bin/microstamp"
cd "$scratch/elsewhere"
"$program" --version
"$program" encode --make Glock --model G17 --serial BXR123 --design ring --out die >/dev/null 2>&1
"$program" fire --die die --firearm service-9mm-striker --ammo standard-small-pistol --rounds 1 --seed 7 \
  --size 600 --out shots >/dev/null 2>&1
scan=$(ls shots/*.x3p | head -n 1)
"$program" read "$scan" 2>&1 >/dev/null | tee read.txt
grep -q 'decoded Glock G17 #BXR123' read.txt
"$program" case --db sqlite:cases.db --password 'correct horse battery staple' init --admin admin >/dev/null
"$program" serve --help >/dev/null
"$program" study --help >study-help.txt && grep -q krivosta-2006 study-help.txt
PYTHONPATH="$root/usr/lib/python3/dist-packages" /usr/bin/python3 -c "
import microstamp, sys
reading = microstamp.read(sys.argv[1])
print('python:', reading['status'], reading['identity'])
assert reading['status'] == 'decoded'
" "$scan"
