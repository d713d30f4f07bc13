/**
 * kcat (librdkafka): metadata listing, a producer per compression codec, an idempotent producer,
 * a simple consumer, offset queries and a balanced consumer group.
 */
import type { CompressionCodec, ProducedMessage } from '../manifest.js';
import { BOOTSTRAP, type ClientDriver, messages, runCommand, type Scenario } from '../scenario.js';

const KCAT = 'kcat';
const CODECS: readonly CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const HEADERS = [
  { key: 'trace-id', value: 'abc-123' },
  { key: 'origin', value: 'kcat' },
];
// A repetitive value so that every codec really compresses something.
const PRODUCED = messages(
  [
    ['k1', 'hello'],
    ['k2', 'second value'],
    ['unicode', 'héllo wörld ✓'],
    ['', 'empty key'],
    ['long', 'flotilla '.repeat(40).trim()],
  ],
  HEADERS,
);

/** kcat -K: reads `key<TAB>value` lines; -H adds the same headers to every message. */
function produceInput(msgs: readonly ProducedMessage[]): string {
  return `${msgs.map((m) => `${m.key ?? ''}\t${m.value ?? ''}`).join('\n')}\n`;
}

function produceScenario(codec: CompressionCodec, idempotent = false): Scenario {
  const topic = idempotent ? 'kcat-idempotent' : `kcat-${codec}`;
  const command = [
    KCAT,
    '-b',
    BOOTSTRAP,
    '-P',
    '-t',
    topic,
    '-p',
    '0',
    '-K',
    '\t',
    ...HEADERS.flatMap((h) => ['-H', `${h.key}=${h.value}`]),
    // One batch for all the messages: the manifest's list is then exactly one Produce's records.
    '-X',
    'linger.ms=200',
    ...(codec === 'none' ? [] : ['-z', codec]),
    ...(idempotent ? ['-X', 'enable.idempotence=true'] : []),
  ];
  return {
    name: idempotent ? 'produce-idempotent' : `produce-${codec}`,
    description: `kcat -P of ${PRODUCED.length} keyed messages with headers to partition 0, compression ${codec}${
      idempotent ? ', enable.idempotence=true (InitProducerId, producer id and sequence in the batch)' : ''
    }`,
    command,
    topics: [topic],
    produce: [{ topic, partition: 0, compression: codec, messages: PRODUCED }],
    run: async (bootstrap) => {
      await runCommand(command, bootstrap, { stdin: produceInput(PRODUCED) });
    },
  };
}

function expectConsumed(output: string, topics: number): void {
  const lines = output.split('\n').filter((l) => l.length > 0);
  const want = PRODUCED.map((m) => `${m.key}=${m.value}`);
  for (const w of want) {
    const n = lines.filter((l) => l === w).length;
    if (n !== topics) throw new Error(`kcat consumed ${JSON.stringify(w)} ${n} times, expected ${topics}:\n${output}`);
  }
}

const consume: Scenario = (() => {
  const command = [KCAT, '-b', BOOTSTRAP, '-C', '-t', 'kcat-gzip', '-o', 'beginning', '-e', '-f', '%k=%s\\n'];
  return {
    name: 'consume',
    description: 'kcat -C -o beginning -e of the gzip topic: ListOffsets for the start, Fetch until end of partition',
    command,
    topics: ['kcat-gzip'],
    run: async (bootstrap) => expectConsumed(await runCommand(command, bootstrap), 1),
  };
})();

const queryOffsets: Scenario = (() => {
  const command = [KCAT, '-b', BOOTSTRAP, '-Q', '-t', 'kcat-none:0:-1', '-t', 'kcat-none:1:1700000000000'];
  return {
    name: 'query-offsets',
    description: 'kcat -Q: ListOffsets for the latest offset and for a timestamp',
    command,
    topics: ['kcat-none'],
    run: async (bootstrap) => {
      await runCommand(command, bootstrap);
    },
  };
})();

const consumerGroup: Scenario = (() => {
  const group = 'kcat-group';
  const topics = ['kcat-none', 'kcat-snappy'];
  const command = [
    KCAT,
    '-b',
    BOOTSTRAP,
    '-G',
    group,
    '-X',
    'auto.offset.reset=earliest',
    '-X',
    'enable.partition.eof=true',
    '-e',
    '-f',
    '%k=%s\\n',
    ...topics,
  ];
  return {
    name: 'consumer-group',
    description:
      'kcat -G: FindCoordinator, JoinGroup (twice, for the member id), SyncGroup, OffsetFetch, Fetch, ' +
      'OffsetCommit and LeaveGroup on exit',
    command,
    topics,
    groups: [group],
    run: async (bootstrap) => expectConsumed(await runCommand(command, bootstrap, { timeoutMs: 60_000 }), 2),
  };
})();

const listMetadata: Scenario = (() => {
  const command = [KCAT, '-b', BOOTSTRAP, '-L'];
  return {
    name: 'metadata-list',
    description: 'kcat -L: ApiVersions and a Metadata request for every topic',
    command,
    topics: [],
    run: async (bootstrap) => {
      await runCommand(command, bootstrap);
    },
  };
})();

const listTopicMetadata: Scenario = (() => {
  const command = [KCAT, '-b', BOOTSTRAP, '-L', '-t', 'kcat-gzip', '-J'];
  return {
    name: 'metadata-topic',
    description: 'kcat -L -t: a Metadata request for one topic',
    command,
    topics: ['kcat-gzip'],
    run: async (bootstrap) => {
      await runCommand(command, bootstrap);
    },
  };
})();

export const kcatDriver: ClientDriver = {
  name: 'kcat',
  unavailable: async () => {
    try {
      await runCommand([KCAT, '-V'], '');
      return null;
    } catch {
      return 'kcat is not installed (apt-get install -y kcat)';
    }
  },
  version: async () => {
    const out = await runCommand([KCAT, '-V'], '');
    const kcat = /^Version (\S+)/m.exec(out)?.[1] ?? '?';
    const librdkafka = /librdkafka (\S+)/.exec(out)?.[1] ?? '?';
    return `kcat ${kcat} (librdkafka ${librdkafka})`;
  },
  scenarios: () => [
    listMetadata,
    ...CODECS.map((c) => produceScenario(c)),
    produceScenario('none', true),
    listTopicMetadata,
    consume,
    queryOffsets,
    consumerGroup,
  ],
};
