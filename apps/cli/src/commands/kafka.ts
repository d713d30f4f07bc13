/**
 * `flo produce` / `flo consume`: quick checks against a cluster's brokers with kafkajs, through the
 * bootstrap brokers the API returns (or --bootstrap). Not a replacement for kcat: strings in and out.
 * Which listener: SASL/SCRAM over TLS when --user is given (password from --password or
 * FLO_SASL_PASSWORD), else plaintext, else TLS (with --tls-cert/--tls-key where the cluster wants client
 * certificates); TLS trusts the cluster's CA from the API unless --ca names a file. `flo events`
 * streams the API's server-sent events.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Kafka, KafkaConfig } from 'kafkajs';
import type { Context, Io } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { parseDuration } from '../follow.js';
import { fields } from '../output.js';
import { action, examples } from '../program.js';

type Connection = Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>;

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${what} ${file}: ${(error as Error).message}`, ExitCode.USAGE);
  }
}

/** How to reach the brokers: the listener the options ask for, with its TLS trust and SASL login. */
async function connection(ctx: Context, cluster: string | undefined, o: Record<string, unknown>): Promise<Connection> {
  const user = o.user as string | undefined;
  const password = (o.password as string | undefined) ?? process.env.FLO_SASL_PASSWORD;
  if (user && !password) {
    throw new CliError(`--user ${user} needs a password: --password or FLO_SASL_PASSWORD`, ExitCode.USAGE);
  }
  const sasl = user ? { mechanism: 'scram-sha-512' as const, username: user, password: password as string } : undefined;
  const clientCert =
    o.tlsCert || o.tlsKey
      ? { cert: readPem(o.tlsCert as string, 'certificate'), key: readPem(o.tlsKey as string, 'private key') }
      : {};
  const tls = async (arn: string | null): Promise<NonNullable<KafkaConfig['ssl']>> => {
    if (o.ca) return { ca: [readPem(o.ca as string, 'CA certificate')], ...clientCert };
    if (!arn) return { ...clientCert };
    return { ca: [(await ctx.client.getCertificateAuthority(arn)).certificateAuthority], ...clientCert };
  };

  if (o.bootstrap) {
    const brokers = (o.bootstrap as string).split(',');
    const secured = Boolean(sasl || o.ca || o.tlsCert);
    return { brokers, ...(secured ? { ssl: await tls(null) } : {}), ...(sasl ? { sasl } : {}) };
  }
  if (!cluster) throw new CliError('name a cluster, or give --bootstrap HOST:PORT', ExitCode.USAGE);
  const arn = await ctx.clusterArn(cluster);
  const strings = await ctx.client.getBootstrapBrokers(arn);
  if (sasl) {
    if (!strings.bootstrapBrokerStringSaslScram) {
      throw new CliError(
        `cluster ${cluster} has no SASL/SCRAM listener`,
        ExitCode.USAGE,
        `flo clusters bootstrap ${cluster}`,
      );
    }
    return { brokers: strings.bootstrapBrokerStringSaslScram.split(','), ssl: await tls(arn), sasl };
  }
  if (strings.bootstrapBrokerString) return { brokers: strings.bootstrapBrokerString.split(',') };
  if (strings.bootstrapBrokerStringTls) {
    return { brokers: strings.bootstrapBrokerStringTls.split(','), ssl: await tls(arn) };
  }
  if (strings.bootstrapBrokerStringSaslScram) {
    throw new CliError(
      `cluster ${cluster} takes SASL/SCRAM logins only: give --user (and --password or FLO_SASL_PASSWORD)`,
      ExitCode.USAGE,
      `flo users create ${cluster} NAME`,
    );
  }
  throw new CliError(
    `cluster ${cluster} has no bootstrap brokers yet`,
    ExitCode.NOT_FOUND,
    `flo clusters wait ${cluster}`,
  );
}

/** kafkajs is loaded only by the commands that talk to brokers: every other command starts faster. */
async function kafka(target: Connection): Promise<Kafka> {
  const { Kafka, logLevel } = await import('kafkajs');
  return new Kafka({
    clientId: 'flo',
    ...target,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5_000,
    // Enough retries to ride out a new topic's leader election (auto-created on first produce).
    retry: { retries: 6, initialRetryTime: 250, maxRetryTime: 5_000 },
  });
}

/** The listener options both commands take. */
function listenerOptions(command: Command): Command {
  return command
    .option('--bootstrap <brokers>', 'bootstrap brokers instead of asking the API')
    .option('--user <name>', 'log in with SASL/SCRAM-SHA-512 over TLS as this user')
    .option('--password <password>', "the user's password (or env FLO_SASL_PASSWORD)")
    .option('--ca <file>', "CA certificate (PEM) to trust instead of the cluster's CA from the API")
    .option('--tls-cert <file>', 'client certificate (PEM) for clusters with TLS client authentication')
    .option('--tls-key <file>', 'private key (PEM) of --tls-cert');
}

/**
 * Fails fast when the topic does not exist: clusters run with auto.create.topics.enable=false (MSK's
 * default), where a Kafka client would otherwise retry UNKNOWN_TOPIC_OR_PARTITION for its whole
 * retry budget and then print the brokers' cryptic answer.
 */
async function requireTopic(client: Kafka, cluster: string | undefined, topic: string): Promise<void> {
  const admin = client.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new CliError(
        `no topic ${topic} on the cluster`,
        ExitCode.NOT_FOUND,
        `create it: flo topics create ${cluster ?? 'CLUSTER'} ${topic}`,
      );
    }
  } finally {
    await admin.disconnect();
  }
}

export function registerKafka(program: Command, io: Io): void {
  const produce = program
    .command('produce')
    .description('send messages to a topic: --value, or one message per stdin line')
    .argument('<cluster>', 'cluster name or ARN')
    .argument('<topic>', 'topic name')
    .option('-k, --key <key>', 'message key')
    .option('-v, --value <value>', 'one message with this value (repeat for more)', (v: string, p: string[] = []) => [
      ...p,
      v,
    ])
    .option('--key-separator <sep>', 'stdin lines are KEY<sep>VALUE')
    .option('--partition <n>', 'write to this partition')
    .option('--acks <acks>', 'acks: -1 (all), 0 or 1', '-1');
  examples(
    listenerOptions(produce).action(
      action(io, async (ctx, [cluster, topic], o) => {
        const values: { key: string | null; value: string }[] = [];
        for (const v of (o.value as string[] | undefined) ?? [])
          values.push({ key: (o.key as string) ?? null, value: v });
        if (!values.length) {
          const lines = createInterface({ input: io.stdin });
          const sep = o.keySeparator as string | undefined;
          for await (const line of lines) {
            if (line === '') continue;
            const at = sep ? line.indexOf(sep) : -1;
            values.push(
              at >= 0
                ? { key: line.slice(0, at), value: line.slice(at + (sep?.length ?? 0)) }
                : { key: (o.key as string) ?? null, value: line },
            );
          }
        }
        if (!values.length) throw new CliError('nothing to send: give --value or lines on stdin', ExitCode.USAGE);
        const partition = o.partition !== undefined ? Number(o.partition) : undefined;
        const client = await kafka(await connection(ctx, cluster, o));
        await requireTopic(client, cluster, topic as string);
        const producer = client.producer({ allowAutoTopicCreation: false });
        await producer.connect();
        try {
          const started = Date.now();
          const results = await producer.send({
            topic: topic as string,
            acks: Number(o.acks),
            messages: values.map((m) => ({ ...m, ...(partition !== undefined ? { partition } : {}) })),
          });
          const ms = Date.now() - started;
          return fields({ topic, messages: values.length, results }, [
            ['Topic', topic],
            ['Messages', values.length],
            ['Partitions', results.map((r) => `${r.partition}@${r.baseOffset}`)],
            ['Took', `${ms} ms`],
          ]);
        } finally {
          await producer.disconnect();
        }
      }),
    ),
    'flo produce orders payments -v hello -v world',
    'FLO_SASL_PASSWORD=... flo produce secure-orders payments --user alice -v hello',
    'seq 100 | flo produce orders payments',
    'printf "k1:v1\\nk2:v2\\n" | flo produce orders payments --key-separator :',
  );

  const consume = program
    .command('consume')
    .description('print messages of a topic (from the beginning by default) and stop when done')
    .argument('<cluster>', 'cluster name or ARN')
    .argument('<topic>', 'topic name')
    .option('-n, --max-messages <n>', 'stop after this many messages')
    .option('--from <where>', 'beginning or latest (for a new group)', 'beginning')
    .option('-g, --group <id>', 'consumer group (default: a new throw-away group)')
    .option('--idle <duration>', 'stop after no message for this long (once assigned)', '3s')
    .option('--follow', 'keep running until interrupted')
    .option('--print-key', 'print KEY<TAB>VALUE in the table output');
  examples(
    listenerOptions(consume).action(
      action(io, async (ctx, [cluster, topic], o) => {
        const max = o.maxMessages !== undefined ? Number(o.maxMessages) : Number.POSITIVE_INFINITY;
        if (!(max > 0)) throw new CliError(`--max-messages must be positive, got ${o.maxMessages}`, ExitCode.USAGE);
        if (o.from !== 'beginning' && o.from !== 'latest') {
          throw new CliError(`--from is beginning or latest, got ${o.from}`, ExitCode.USAGE);
        }
        const idleMs = parseDuration(o.idle as string);
        const groupId = (o.group as string | undefined) ?? `flo-consume-${randomBytes(4).toString('hex')}`;
        const client = await kafka(await connection(ctx, cluster, o));
        await requireTopic(client, cluster, topic as string);
        const consumer = client.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
        let count = 0;
        let timer: NodeJS.Timeout | undefined;
        let done!: () => void;
        const finished = new Promise<void>((resolve) => {
          done = resolve;
        });
        const armIdle = () => {
          if (o.follow) return;
          clearTimeout(timer);
          timer = setTimeout(done, idleMs);
        };
        consumer.on(consumer.events.GROUP_JOIN, armIdle);
        const onSignal = () => done();
        process.once('SIGINT', onSignal);
        await consumer.connect();
        try {
          await consumer.subscribe({ topic: topic as string, fromBeginning: o.from === 'beginning' });
          await consumer.run({
            eachMessage: async ({ partition, message }) => {
              if (count >= max) return;
              count++;
              const key = message.key?.toString() ?? null;
              const value = message.value?.toString() ?? null;
              if (ctx.format === 'table') {
                io.stdout(`${o.printKey ? `${key ?? ''}\t` : ''}${value ?? ''}\n`);
              } else {
                // One JSON document per message (NDJSON), also for yaml: a stream has no closing bracket.
                io.stdout(
                  `${JSON.stringify({ topic, partition, offset: Number(message.offset), timestamp: Number(message.timestamp), key, value })}\n`,
                );
              }
              if (count >= max) done();
              else armIdle();
            },
          });
          await finished;
        } finally {
          clearTimeout(timer);
          process.off('SIGINT', onSignal);
          await consumer.disconnect();
        }
        ctx.progress(`${count} message${count === 1 ? '' : 's'} from ${topic}`);
        return { kind: 'none' };
      }),
    ),
    'flo consume orders payments -n 10',
    'flo consume secure-orders payments --user alice --password ... -n 10',
    'flo consume orders payments --follow -o json | jq .value',
  );

  examples(
    program
      .command('events')
      .description("stream the API's events (cluster states, operations and their steps) as they happen")
      .option('--cluster <cluster>', 'only this cluster (name or ARN)')
      .option('--duration <duration>', 'stop after this long (default: until interrupted)')
      .action(
        action(io, async (ctx, _args, o) => {
          const clusterArn = o.cluster ? await ctx.clusterArn(o.cluster as string) : undefined;
          const stop = new AbortController();
          const onSignal = () => stop.abort();
          process.once('SIGINT', onSignal);
          const timer = o.duration ? setTimeout(() => stop.abort(), parseDuration(o.duration as string)) : undefined;
          try {
            const stream = ctx.client.events({
              ...(clusterArn ? { clusterArn } : {}),
              signal: stop.signal,
              onOpen: () => ctx.progress(`streaming events from ${ctx.settings.endpoint} (Ctrl-C stops)`),
            });
            for await (const event of stream) {
              if (ctx.format === 'table') {
                const { type, clusterArn: arn, ...rest } = event;
                const detail = Object.entries(rest)
                  .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
                  .join(' ');
                io.stdout(`${new Date().toISOString()}  ${type.padEnd(14)} ${arn.split('/')[1] ?? arn}  ${detail}\n`);
              } else {
                io.stdout(`${JSON.stringify(event)}\n`);
              }
            }
          } finally {
            clearTimeout(timer);
            process.off('SIGINT', onSignal);
          }
          return { kind: 'none' };
        }),
      ),
    'flo events --cluster orders',
  );
}
