#!/usr/bin/env bash
# Builds librdkafka's own benchmark tool, rdkafka_performance, from the librdkafka 2.12 sources that the
# node-rdkafka@3.6.1 npm tarball vendors (only the npm registry and Debian packages are used), into the
# same cache as make compat's librdkafka suite. Prints the tool's path; LD_LIBRARY_PATH must include
# the directory printed on the second line.
set -euo pipefail
CACHE=${RDK_CACHE:-$HOME/.cache/flotilla-rdk}
VERSION=3.6.1
SRC=$CACHE/node-rdkafka-$VERSION/deps/librdkafka
mkdir -p "$CACHE"
if [ ! -f "$SRC/configure" ]; then
  (cd "$CACHE" && [ -f "node-rdkafka-$VERSION.tgz" ] || npm pack --loglevel=error "node-rdkafka@$VERSION" >/dev/null)
  mkdir -p "$CACHE/node-rdkafka-$VERSION"
  tar -xzf "$CACHE/node-rdkafka-$VERSION.tgz" -C "$CACHE/node-rdkafka-$VERSION" --strip-components=1
fi
if [ ! -f "$SRC/src/librdkafka.so.1" ]; then
  for p in libssl-dev libsasl2-dev libzstd-dev liblz4-dev zlib1g-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="${missing:-} $p"
  done
  if [ -n "${missing:-}" ]; then apt-get install -y -qq $missing >/dev/null; fi
  (cd "$SRC" && ./configure --no-download --disable-gssapi --disable-curl >/dev/null && make -j"$(nproc)" libs >/dev/null)
fi
[ -x "$SRC/examples/rdkafka_performance" ] || make -C "$SRC/examples" rdkafka_performance >/dev/null
echo "$SRC/examples/rdkafka_performance"
echo "$SRC/src"
