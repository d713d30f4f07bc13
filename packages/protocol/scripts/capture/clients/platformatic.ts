/**
 * @platformatic/kafka, run in this process: a pure-JavaScript client written for Kafka 3.5-4.1, so it
 * uses the newest (flexible) versions of most APIs, which the older clients here never send: compact
 * strings and arrays, tagged fields, topic ids in Fetch, batched FindCoordinator.
 */
import {
  Admin,
  ConfigResourceTypes,
  Consumer,
  GroupProtocols,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import type { CompressionCodec, ProducedMessage } from '../manifest.js';
import { type ClientDriver, messages, packageVersion, type Scenario } from '../scenario.js';

const CLIENT_ID = 'flotilla-capture';
const GROUP = 'platformatic-group';
const PRODUCED = messages(
  [
    ['k1', 'hello'],
    ['k2', 'second value'],
    ['unicode', 'héllo wörld ✓'],
    ['', 'empty key'],
    ['long', 'flotilla '.repeat(40).trim()],
  ],
  [
    { key: 'trace-id', value: 'abc-123' },
    { key: 'origin', value: 'platformatic' },
  ],
);

function base(bootstrap: string) {
  return { clientId: CLIENT_ID, bootstrapBrokers: [bootstrap], retries: 2, retryDelay: 100 };
}

function toPlatformatic(topic: string, m: ProducedMessage) {
  return {
    topic,
    partition: 0,
    key: m.key ?? undefined,
    value: m.value ?? undefined,
    headers: new Map(m.headers.map((h) => [h.key, h.value ?? ''])),
  };
}

const admin: Scenario = {
  name: 'admin',
  description:
    'Admin: createTopics (2 partitions, a config), metadata, describeConfigs of the topic and the broker, ' +
    'createPartitions, deleteTopics of a second topic',
  topics: ['platformatic-admin', 'platformatic-doomed'],
  run: async (bootstrap) => {
    const a = new Admin(base(bootstrap));
    try {
      await a.createTopics({
        topics: ['platformatic-admin', 'platformatic-doomed'],
        partitions: 2,
        replicas: 1,
        configs: [{ name: 'cleanup.policy', value: 'compact' }],
      });
      await a.metadata({ topics: ['platformatic-admin'] });
      await a.describeConfigs({
        resources: [
          { resourceType: ConfigResourceTypes.TOPIC, resourceName: 'platformatic-admin' },
          { resourceType: ConfigResourceTypes.BROKER, resourceName: '1', configurationKeys: ['compression.type'] },
        ],
      });
      await a.createPartitions({ topics: [{ name: 'platformatic-admin', count: 3 }] });
      await a.deleteTopics({ topics: ['platformatic-doomed'] });
    } finally {
      await a.close();
    }
  },
};

function produceScenario(codec: CompressionCodec, idempotent = false): Scenario {
  const topic = idempotent ? 'platformatic-idempotent' : `platformatic-${codec}`;
  return {
    name: idempotent ? 'produce-idempotent' : `produce-${codec}`,
    description: `Producer.send of ${PRODUCED.length} keyed messages with headers to partition 0, compression ${codec}${
      idempotent ? ', idempotent (InitProducerId, producer id and sequence in the batch)' : ''
    }`,
    topics: [topic],
    produce: [{ topic, partition: 0, compression: codec, messages: PRODUCED }],
    run: async (bootstrap) => {
      const p = new Producer({
        ...base(bootstrap),
        serializers: stringSerializers,
        idempotent,
        autocreateTopics: true,
      });
      try {
        await p.send({ messages: PRODUCED.map((m) => toPlatformatic(topic, m)), compression: codec });
      } finally {
        await p.close();
      }
    },
  };
}

function consumerGroup(protocol: 'classic' | 'consumer'): Scenario {
  const topic = protocol === 'classic' ? 'platformatic-gzip' : 'platformatic-lz4';
  const group = protocol === 'classic' ? GROUP : 'platformatic-kip848-group';
  const groupOptions = protocol === 'classic' ? { heartbeatInterval: 300 } : { groupProtocol: GroupProtocols.CONSUMER };
  return {
    name: protocol === 'classic' ? 'consumer-group' : 'consumer-group-kip848',
    description:
      protocol === 'classic'
        ? `Consumer (classic group protocol) from the earliest offset of ${topic}: FindCoordinator, JoinGroup, ` +
          'SyncGroup, Heartbeat, ListOffsets, Fetch by topic id, OffsetCommit, LeaveGroup'
        : `Consumer (KIP-848 consumer group protocol) from the earliest offset of ${topic}: ` +
          'ConsumerGroupHeartbeat to join, be assigned and leave, Fetch, OffsetCommit',
    topics: [topic],
    groups: [group],
    run: async (bootstrap) => {
      const c = new Consumer({
        ...base(bootstrap),
        ...groupOptions,
        groupId: group,
        deserializers: stringDeserializers,
        maxWaitTime: 200,
      });
      await consumeAll(c, topic);
    },
  };
}

async function consumeAll(c: Consumer<string, string, string, string>, topic: string): Promise<void> {
  try {
    const stream = await c.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST });
    const received: string[] = [];
    for await (const message of stream) {
      received.push(String(message.value));
      await message.commit();
      if (received.length === PRODUCED.length) break;
    }
    const sent = PRODUCED.map((m) => m.value);
    if (JSON.stringify(received) !== JSON.stringify(sent)) throw new Error(`platformatic consumed ${received}`);
    await stream.close();
  } finally {
    await c.close();
  }
}

const groupAdmin: Scenario = {
  name: 'admin-groups',
  description: 'Admin after the consumer left: listGroups, describeGroups, listConsumerGroupOffsets, listOffsets',
  topics: ['platformatic-gzip'],
  groups: [GROUP],
  run: async (bootstrap) => {
    const a = new Admin(base(bootstrap));
    try {
      await a.listGroups();
      await a.describeGroups({ groups: [GROUP] });
      await a.listConsumerGroupOffsets({ groups: [GROUP] });
      await a.listOffsets({
        topics: [{ name: 'platformatic-gzip', partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
      });
    } finally {
      await a.close();
    }
  },
};

export const platformaticDriver: ClientDriver = {
  name: 'platformatic-kafka',
  unavailable: async () => null,
  version: async () => `@platformatic/kafka ${packageVersion('@platformatic/kafka')}`,
  scenarios: () => [
    admin,
    // Its zstd is Node's own (zlib zstd, Node 22.15+), which Node 20 does not have.
    ...(['none', 'gzip', 'snappy', 'lz4'] as const).map((c) => produceScenario(c)),
    produceScenario('none', true),
    consumerGroup('classic'),
    groupAdmin,
    consumerGroup('consumer'),
  ],
};
