#!/bin/sh
# build.sh - configure (once) and build postern in the source tree.
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure --sysconfdir=/etc -q
make -j"$(nproc)" >/dev/null
