/**
 * kafka-python (pure Python, its own protocol code) and confluent-kafka (Python over librdkafka), both
 * from Debian (python3-kafka, python3-confluent-kafka) under /usr/bin/python3. Each scenario is played
 * by python/<client>.py, which reads what to do as JSON on stdin.
 */
import { fileURLToPath } from 'node:url';
import type { CompressionCodec } from '../manifest.js';
import { type ClientDriver, messages, runCommand, type Scenario } from '../scenario.js';

const PYTHON = '/usr/bin/python3';

function scriptOf(client: string): string {
  return fileURLToPath(new URL(`../python/${client}.py`, import.meta.url));
}

function producedFor(client: string) {
  return messages(
    [
      ['k1', 'hello'],
      ['k2', 'second value'],
      ['unicode', 'héllo wörld ✓'],
      [null, 'no key'],
      ['long', 'flotilla '.repeat(40).trim()],
    ],
    [
      { key: 'trace-id', value: 'abc-123' },
      { key: 'origin', value: client },
    ],
  );
}

type Action = 'produce' | 'consume' | 'admin';

function pythonScenario(
  client: string,
  action: Action,
  s: Omit<Scenario, 'run'>,
  extra: Record<string, unknown> = {},
): Scenario {
  return {
    ...s,
    command: [PYTHON, `scripts/capture/python/${client}.py`, '< scenario JSON'],
    run: async (bootstrap) => {
      const spec = { action, bootstrap, topics: s.topics, groups: s.groups ?? [], produce: s.produce ?? [], ...extra };
      await runCommand([PYTHON, scriptOf(client)], bootstrap, { stdin: JSON.stringify(spec), timeoutMs: 60_000 });
    },
  };
}

function produceScenario(client: string, codec: CompressionCodec): Scenario {
  const topic = `${client}-${codec}`;
  const produced = producedFor(client);
  return pythonScenario(client, 'produce', {
    name: `produce-${codec}`,
    description: `producer of ${produced.length} keyed messages with headers to partition 0, compression ${codec}`,
    topics: [topic],
    produce: [{ topic, partition: 0, compression: codec, messages: produced }],
  });
}

function consumeScenario(client: string, topic: string): Scenario {
  return pythonScenario(
    client,
    'consume',
    {
      name: 'consumer-group',
      description: `consumer group from the earliest offset of ${topic}, a synchronous commit, then close`,
      topics: [topic],
      groups: [`${client}-group`],
    },
    { expect: producedFor(client).length },
  );
}

function adminScenario(client: string, description: string): Scenario {
  return pythonScenario(client, 'admin', {
    name: 'admin',
    description,
    topics: [`${client}-admin`, `${client}-doomed`],
    groups: [`${client}-group`],
  });
}

async function pythonModuleMissing(module: string, apt: string): Promise<string | null> {
  try {
    await runCommand([PYTHON, '-c', `import ${module}`], '');
    return null;
  } catch {
    return `${PYTHON} cannot import ${module} (apt-get install -y ${apt})`;
  }
}

async function pythonOutput(code: string): Promise<string> {
  return (await runCommand([PYTHON, '-c', code], '')).trim();
}

export const kafkaPythonDriver: ClientDriver = {
  name: 'kafka-python',
  unavailable: () => pythonModuleMissing('kafka', 'python3-kafka'),
  version: async () => `kafka-python ${await pythonOutput('import kafka; print(kafka.__version__)')}`,
  scenarios: () => [
    // kafka-python's zstd needs the zstandard module, which Debian's package does not pull in.
    ...(['none', 'gzip', 'snappy', 'lz4'] as const).map((c) => produceScenario('kafka-python', c)),
    consumeScenario('kafka-python', 'kafka-python-gzip'),
    adminScenario(
      'kafka-python',
      'KafkaAdminClient: create_topics, describe_configs, list_consumer_groups, describe_consumer_groups, ' +
        'list_consumer_group_offsets, delete_topics',
    ),
  ],
};

export const confluentKafkaDriver: ClientDriver = {
  name: 'confluent-kafka',
  unavailable: () => pythonModuleMissing('confluent_kafka', 'python3-confluent-kafka'),
  version: async () =>
    `confluent-kafka ${await pythonOutput(
      'import confluent_kafka as c; print(c.version()[0], "(librdkafka", c.libversion()[0] + ")")',
    )}`,
  scenarios: () => [
    adminScenario(
      'confluent-kafka',
      'AdminClient: create_topics, list_topics, describe_configs (topic and broker), create_partitions, ' +
        'list_groups, delete_topics',
    ),
    produceScenario('confluent-kafka', 'zstd'),
    consumeScenario('confluent-kafka', 'confluent-kafka-zstd'),
  ],
};
