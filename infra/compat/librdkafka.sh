#!/usr/bin/env bash
# Runs librdkafka's own test suite (shared/compat/librdkafka-suite.sh) against fresh brokers started
# from packages/broker/dist.
#
#   infra/compat/librdkafka.sh [LIST]            one broker; LIST defaults to infra/compat/librdkafka-pass.list
#   infra/compat/librdkafka.sh --cluster [LIST]  a 3-node quorum (process.roles=broker,controller, replication
#                                                factor 3 by default) for the tests that create topics with
#                                                replication factor 3; LIST defaults to librdkafka-cluster-pass.list
#   infra/compat/librdkafka.sh --noautocreate [LIST]  one broker with auto.create.topics.enable=false and
#                                                the runner's "noautocreate" scenario (TEST_SCENARIO), which
#                                                0045's topic-removal variants, 0107 and 0111 need; LIST defaults
#                                                to librdkafka-noautocreate-pass.list
#   infra/compat/librdkafka.sh --cluster --noautocreate [LIST]  both (0107, 0111 create topics with replication
#                                                factor 3); LIST defaults to librdkafka-cluster-noautocreate-pass.list
#
# Pass ../shared/compat/librdkafka-core.list to see the whole core list. The authorizer is on (the
# suite's clients are User:ANONYMOUS, a super user) so that the ACL admin APIs of 0081 are served.
# group.initial.rebalance.delay.ms keeps Kafka's default (3000 ms): the suite assumes it (0113 says so),
# and tests whose consumers subscribe together (0089, 0102) expect them in one generation, which a delay
# of 0 only gives when both JoinGroups arrive in the same instant (not under CPU load).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLUSTER=0
NOAUTOCREATE=0
if [ "${1:-}" = "--cluster" ]; then CLUSTER=1; shift; fi
if [ "${1:-}" = "--noautocreate" ]; then NOAUTOCREATE=1; shift; fi
if [ "$CLUSTER" = 1 ] && [ "$NOAUTOCREATE" = 1 ]; then
  LIST=${1:-$ROOT/infra/compat/librdkafka-cluster-noautocreate-pass.list}
elif [ "$CLUSTER" = 1 ]; then
  LIST=${1:-$ROOT/infra/compat/librdkafka-cluster-pass.list}
elif [ "$NOAUTOCREATE" = 1 ]; then
  LIST=${1:-$ROOT/infra/compat/librdkafka-noautocreate-pass.list}
else
  LIST=${1:-$ROOT/infra/compat/librdkafka-pass.list}
fi
SUITE=${RDK_SUITE:-$ROOT/../shared/compat/librdkafka-suite.sh}
[ -x "$SUITE" ] || { echo "librdkafka suite script not found at $SUITE (set RDK_SUITE)" >&2; exit 2; }
PORT=${PORT:-29092}
COMMON=(--override num.partitions=4 --override group.initial.rebalance.delay.ms=3000
  --override authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
  --override super.users=User:ANONYMOUS)
if [ "$NOAUTOCREATE" = 1 ]; then
  COMMON+=(--override auto.create.topics.enable=false)
  export TEST_SCENARIO=noautocreate
fi
PIDS=()
DIRS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for dir in "${DIRS[@]}"; do rm -rf "$dir"; done
}
trap cleanup EXIT

# start_node ID LOGDIR OVERRIDES...: starts one broker in the background, logging to LOGDIR.log.
start_node() {
  local id=$1 dir=$2
  shift 2
  node "$ROOT/packages/broker/dist/main.js" --override "node.id=$id" --override "log.dirs=$dir" \
    "${COMMON[@]}" "$@" >"$dir.log" 2>&1 &
  PIDS+=($!)
  DIRS+=("$dir")
}
wait_started() {
  local dir=$1
  for _ in $(seq 300); do grep -q ' started ' "$dir.log" && return 0; sleep 0.1; done
  cat "$dir.log" >&2
  exit 2
}

if [ "$CLUSTER" = 0 ]; then
  DIR=$(mktemp -d /tmp/flotilla-compat-XXXXXX)
  start_node 1 "$DIR" --override "listeners=PLAINTEXT://127.0.0.1:$PORT" --override offsets.topic.replication.factor=1
  wait_started "$DIR"
  BOOTSTRAP="127.0.0.1:$PORT"
else
  # Node n: broker listener PORT+2(n-1), controller listener PORT+2(n-1)+1.
  VOTERS="1@127.0.0.1:$((PORT + 1)),2@127.0.0.1:$((PORT + 3)),3@127.0.0.1:$((PORT + 5))"
  BOOTSTRAP="127.0.0.1:$PORT,127.0.0.1:$((PORT + 2)),127.0.0.1:$((PORT + 4))"
  NODE_DIRS=()
  for n in 1 2 3; do
    dir=$(mktemp -d /tmp/flotilla-compat-XXXXXX)
    NODE_DIRS+=("$dir")
    start_node "$n" "$dir" --override process.roles=broker,controller \
      --override "listeners=PLAINTEXT://127.0.0.1:$((PORT + 2 * (n - 1))),CONTROLLER://127.0.0.1:$((PORT + 2 * (n - 1) + 1))" \
      --override controller.listener.names=CONTROLLER --override inter.broker.listener.name=PLAINTEXT \
      --override "controller.quorum.voters=$VOTERS" --override cluster.id=flotilla-compat-cluster-00 \
      --override default.replication.factor=3 --override offsets.topic.replication.factor=3 \
      --override min.insync.replicas=2
  done
  for dir in "${NODE_DIRS[@]}"; do wait_started "$dir"; done
fi
TEST_KAFKA_VERSION=${TEST_KAFKA_VERSION:-3.9.0} "$SUITE" "$BOOTSTRAP" "$LIST"
