#!/usr/bin/env bash
# Runs librdkafka's own test suite (shared/compat/librdkafka-suite.sh) against a fresh broker started
# from packages/broker/dist. LIST defaults to the tests known to pass (infra/compat/librdkafka-pass.list);
# pass ../shared/compat/librdkafka-core.list to see the whole core list. The authorizer is on (the
# suite's clients are User:ANONYMOUS, a super user) so that the ACL admin APIs of 0081 are served.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LIST=${1:-$ROOT/infra/compat/librdkafka-pass.list}
SUITE=${RDK_SUITE:-$ROOT/../shared/compat/librdkafka-suite.sh}
[ -x "$SUITE" ] || { echo "librdkafka suite script not found at $SUITE (set RDK_SUITE)" >&2; exit 2; }
PORT=${PORT:-29092}
DIR=$(mktemp -d /tmp/flotilla-compat-XXXXXX)
node "$ROOT/packages/broker/dist/main.js" \
  --override node.id=1 --override "listeners=PLAINTEXT://127.0.0.1:$PORT" --override "log.dirs=$DIR" \
  --override num.partitions=4 --override offsets.topic.replication.factor=1 \
  --override group.initial.rebalance.delay.ms=0 \
  --override authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer \
  --override super.users=User:ANONYMOUS >"$DIR.log" 2>&1 &
BROKER=$!
trap 'kill $BROKER 2>/dev/null; wait $BROKER 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do grep -q ' started ' "$DIR.log" && break; sleep 0.1; done
grep -q ' started ' "$DIR.log" || { cat "$DIR.log" >&2; exit 2; }
TEST_KAFKA_VERSION=${TEST_KAFKA_VERSION:-3.9.0} "$SUITE" "127.0.0.1:$PORT" "$LIST"
