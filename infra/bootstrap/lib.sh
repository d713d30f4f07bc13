# Idempotent set-up steps shared by `make up`, `make test` and `make compat`.
# Each `ensure_*` checks first and changes nothing when the thing is already there.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root for: $*" >&2; return 1
  fi
}

APT_UPDATED=0
# ensure_apt PACKAGE...: installs the Debian packages that are not installed yet.
ensure_apt() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_node() {
  command -v node >/dev/null || { echo "Node.js >= 20 is required (https://nodejs.org)" >&2; exit 1; }
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || { echo "Node.js >= 20 is required, found $(node --version)" >&2; exit 1; }
}

# npm dependencies: `npm ci` when node_modules is missing or older than the lock file.
ensure_npm_deps() {
  ensure_node
  cd "$ROOT"
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm dependencies"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

# The real Kafka clients the compatibility checks drive.
ensure_kafka_clients() {
  ensure_apt kcat python3-kafka python3-confluent-kafka python3-snappy python3-lz4 lz4 zstd openssl
}

# Independent tools `make compat` checks our figures against: LinkedIn's Burrow (consumer lag), which
# keeps its own state in a ZooKeeper (Debian's zookeeper: only the jar is used, started by the check).
ensure_compat_tools() {
  ensure_apt burrow zookeeper
}

# Docker Engine for the DockerDriver: the docker.io package when no engine is installed, and dockerd
# started in the background (logging to .flotilla/dockerd.log) when none answers. Returns non-zero,
# without failing the caller's shell, when the engine cannot run here (the ProcessDriver is used then).
docker_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
ensure_docker() {
  docker_answers && return 0
  command -v dockerd >/dev/null || ensure_apt docker.io || return 1
  docker_answers && return 0
  mkdir -p "$ROOT/.flotilla"
  log "starting dockerd (log: .flotilla/dockerd.log)"
  as_root sh -c "nohup dockerd >>'$ROOT/.flotilla/dockerd.log' 2>&1 </dev/null &" || return 1
  for _ in $(seq 60); do docker_answers && return 0; sleep 0.5; done
  echo "dockerd did not answer in 30 s; see .flotilla/dockerd.log (brokers will run as processes)" >&2
  return 1
}

# PostgreSQL for the catalog (DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/flotilla): the
# Debian package when missing, the cluster started when stopped. A cluster installed here is given
# trust for the postgres user on 127.0.0.1 (Debian's default asks for a password nobody has set), so
# the default URL works on a development machine; the control plane creates its database itself.
pg_answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
ensure_postgres() {
  pg_answers && return 0
  local installed=0
  if ! command -v pg_ctlcluster >/dev/null; then ensure_apt postgresql; installed=1; fi
  local version hba
  version=$(ls /etc/postgresql | sort -V | tail -1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  if [ "$installed" = 1 ] && ! as_root grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
    as_root sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
  fi
  pg_answers && { as_root pg_ctlcluster "$version" main reload || true; return 0; }
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 40); do pg_answers && return 0; sleep 0.5; done
  echo "PostgreSQL did not answer on 127.0.0.1:5432 in 20 s" >&2
  return 1
}

# Redis for BullMQ (REDIS_URL, default redis://127.0.0.1:6379): the Debian package when missing,
# redis-server started (loopback only, no persistence: the queue is rebuilt from the catalog's
# operations) when none answers.
redis_answers() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }
ensure_redis() {
  redis_answers && return 0
  command -v redis-server >/dev/null || ensure_apt redis-server
  redis_answers && return 0
  log "starting Redis"
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/flotilla.log
  for _ in $(seq 40); do redis_answers && return 0; sleep 0.5; done
  echo "Redis did not answer on 127.0.0.1:6379 in 20 s" >&2
  return 1
}

# The aws CLI (Debian's awscli), which the API tests drive against the MSK-compatible endpoint.
ensure_aws_cli() {
  command -v aws >/dev/null || ensure_apt awscli
}

# Debian's chromium, which the console's browser tests drive headless through playwright-core
# (Playwright's own browser download cannot reach its host here).
ensure_chromium() {
  command -v chromium >/dev/null || ensure_apt chromium
}
