/**
 * kafkajs, run in this process: admin calls, a GZIP producer, an idempotent producer, a
 * transactional producer and a consumer group that joins, syncs, heartbeats, commits and leaves.
 */
import kafkajs, { type Kafka, type Message } from 'kafkajs';
import type { CompressionCodec, ProducedMessage } from '../manifest.js';
import { type ClientDriver, messages, packageVersion, type Scenario } from '../scenario.js';

// kafkajs is CommonJS and only some of its exports are visible to ESM by name.
const { CompressionTypes, ConfigResourceTypes, logLevel } = kafkajs;
const CLIENT_ID = 'flotilla-capture';
const GROUP = 'kafkajs-group';
const PRODUCED = messages(
  [
    ['k1', 'hello'],
    ['k2', 'second value'],
    ['unicode', 'héllo wörld ✓'],
    [null, 'no key'],
    ['long', 'flotilla '.repeat(40).trim()],
  ],
  [
    { key: 'trace-id', value: 'abc-123' },
    { key: 'origin', value: 'kafkajs' },
  ],
);

function kafka(bootstrap: string): Kafka {
  return new kafkajs.Kafka({
    clientId: CLIENT_ID,
    brokers: [bootstrap],
    logLevel: logLevel.ERROR,
    retry: { retries: 2, initialRetryTime: 100 },
  });
}

function toKafkajs(m: ProducedMessage): Message {
  return {
    key: m.key,
    value: m.value,
    partition: 0,
    headers: Object.fromEntries(m.headers.map((h) => [h.key, h.value ?? ''])),
  };
}

const admin: Scenario = {
  name: 'admin',
  description:
    'admin: createTopics (2 partitions, a config entry), fetchTopicMetadata, describeConfigs of the topic and ' +
    'the broker, listGroups, deleteTopics of a second topic',
  topics: ['kafkajs-admin', 'kafkajs-doomed'],
  run: async (bootstrap) => {
    const a = kafka(bootstrap).admin();
    await a.connect();
    try {
      await a.createTopics({
        topics: [
          { topic: 'kafkajs-admin', numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
          { topic: 'kafkajs-doomed', numPartitions: 1 },
        ],
        waitForLeaders: true,
      });
      const meta = await a.fetchTopicMetadata({ topics: ['kafkajs-admin'] });
      if (meta.topics[0]?.partitions.length !== 2) throw new Error(`unexpected metadata ${JSON.stringify(meta)}`);
      const configs = await a.describeConfigs({
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: 'kafkajs-admin', configNames: ['cleanup.policy'] },
          { type: ConfigResourceTypes.BROKER, name: '1' },
        ],
        includeSynonyms: false,
      });
      const policy = configs.resources[0]?.configEntries[0]?.configValue;
      if (policy !== 'compact') throw new Error(`describeConfigs gave cleanup.policy=${policy}`);
      await a.listGroups();
      await a.deleteTopics({ topics: ['kafkajs-doomed'] });
    } finally {
      await a.disconnect();
    }
  },
};

function produceScenario(codec: Extract<CompressionCodec, 'none' | 'gzip'>): Scenario {
  const topic = `kafkajs-${codec}`;
  return {
    name: `produce-${codec}`,
    description: `producer.send of ${PRODUCED.length} keyed messages with headers to partition 0, compression ${codec}`,
    topics: [topic],
    produce: [{ topic, partition: 0, compression: codec, messages: PRODUCED }],
    run: async (bootstrap) => {
      const p = kafka(bootstrap).producer({ allowAutoTopicCreation: true });
      await p.connect();
      try {
        await p.send({
          topic,
          compression: codec === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
          messages: PRODUCED.map(toKafkajs),
        });
      } finally {
        await p.disconnect();
      }
    },
  };
}

const idempotent: Scenario = {
  name: 'produce-idempotent',
  description: 'idempotent producer: InitProducerId, then a Produce whose batch carries producer id, epoch, sequence',
  topics: ['kafkajs-idempotent'],
  produce: [{ topic: 'kafkajs-idempotent', partition: 0, compression: 'none', messages: PRODUCED }],
  run: async (bootstrap) => {
    const p = kafka(bootstrap).producer({ idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    try {
      await p.send({ topic: 'kafkajs-idempotent', messages: PRODUCED.map(toKafkajs) });
    } finally {
      await p.disconnect();
    }
  },
};

const transactional: Scenario = {
  name: 'produce-transactional',
  description:
    'transactional producer: FindCoordinator (transaction), InitProducerId, AddPartitionsToTxn, Produce, ' +
    'AddOffsetsToTxn, TxnOffsetCommit, EndTxn (commit)',
  topics: ['kafkajs-txn'],
  groups: [GROUP],
  produce: [{ topic: 'kafkajs-txn', partition: 0, compression: 'none', messages: PRODUCED.slice(0, 2) }],
  run: async (bootstrap) => {
    const p = kafka(bootstrap).producer({ transactionalId: 'kafkajs-txn-producer', maxInFlightRequests: 1 });
    await p.connect();
    try {
      const txn = await p.transaction();
      await txn.send({ topic: 'kafkajs-txn', messages: PRODUCED.slice(0, 2).map(toKafkajs) });
      await txn.sendOffsets({
        consumerGroupId: GROUP,
        topics: [{ topic: 'kafkajs-txn', partitions: [{ partition: 0, offset: '2' }] }],
      });
      await txn.commit();
    } finally {
      await p.disconnect();
    }
  },
};

const consumerGroup: Scenario = {
  name: 'consumer-group',
  description:
    'consumer in a group, from the beginning of the gzip topic: FindCoordinator, JoinGroup, SyncGroup, ' +
    'OffsetFetch, ListOffsets, Fetch, Heartbeat, OffsetCommit, LeaveGroup',
  topics: ['kafkajs-gzip'],
  groups: [GROUP],
  run: async (bootstrap) => {
    const c = kafka(bootstrap).consumer({ groupId: GROUP, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
    await c.connect();
    try {
      await c.subscribe({ topics: ['kafkajs-gzip'], fromBeginning: true });
      const received: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`kafkajs consumed only ${received.length}`)), 30_000);
        c.run({
          eachMessage: async ({ message }) => {
            received.push(message.value?.toString() ?? '');
            if (received.length === PRODUCED.length) {
              clearTimeout(timer);
              resolve();
            }
          },
        }).catch(reject);
      });
      const sent = PRODUCED.map((m) => m.value);
      if (JSON.stringify(received) !== JSON.stringify(sent)) throw new Error(`kafkajs consumed ${received}`);
      // Stay for a few heartbeats before leaving.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      await c.disconnect();
    }
  },
};

export const kafkajsDriver: ClientDriver = {
  name: 'kafkajs',
  unavailable: async () => null,
  version: async () => `kafkajs ${packageVersion('kafkajs')}`,
  scenarios: () => [admin, produceScenario('none'), produceScenario('gzip'), idempotent, transactional, consumerGroup],
};
