/**
 * The configuration keys the broker understands: Kafka's own names, types, defaults and validity rules
 * (KafkaConfig / LogConfig / TopicConfig in Apache Kafka), so that a Kafka user's server.properties and
 * `kafka-configs.sh` commands carry over. Each topic-level config names the broker key that supplies its
 * default (`log.retention.ms` -> `retention.ms`), which is how DescribeConfigs reports synonyms.
 */

export type ConfigType = 'boolean' | 'int' | 'short' | 'long' | 'double' | 'string' | 'list' | 'password';

/** How a broker config may change at run time (Kafka's DynamicBrokerConfig modes). */
export type UpdateMode = 'read-only' | 'per-broker' | 'cluster-wide';

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** Default in Kafka's string form; null means "no value". */
  readonly default: string | null;
  readonly doc: string;
  /** Returns a reason when a parsed value is not acceptable. */
  readonly validate?: (value: ConfigValue) => string | undefined;
  readonly updateMode?: UpdateMode;
}

export interface TopicConfigDef extends ConfigDef {
  /** The broker config whose value is this topic config's default (its synonym). */
  readonly brokerSynonym?: string;
}

export type ConfigValue = boolean | number | string | string[] | null;

export const LONG_MAX = '9223372036854775807';

const atLeast =
  (min: number) =>
  (v: ConfigValue): string | undefined =>
    typeof v === 'number' && v < min ? `must be at least ${min}` : undefined;

const between =
  (min: number, max: number) =>
  (v: ConfigValue): string | undefined =>
    typeof v === 'number' && (v < min || v > max) ? `must be between ${min} and ${max}` : undefined;

const oneOf =
  (...allowed: string[]) =>
  (v: ConfigValue): string | undefined => {
    const values = Array.isArray(v) ? v : [v];
    const bad = values.find((x) => typeof x === 'string' && !allowed.includes(x));
    return bad === undefined ? undefined : `must be one of ${allowed.join(', ')}`;
  };

/** Kafka's ThrottledReplicaListValidator: `*`, or `partition:broker` pairs. */
const throttledReplicaList = (v: ConfigValue): string | undefined => {
  const items = Array.isArray(v) ? v : [];
  if (items.length === 1 && items[0] === '*') return undefined;
  return items.every((i) => /^\d+:\d+$/.test(i))
    ? undefined
    : 'must be the literal * or a list of replicas as [partitionId]:[brokerId],[partitionId]:[brokerId],...';
};

/**
 * Kafka's MetadataVersionValidator for the deprecated message.format.version: 0.8.0 to 0.11.0 (three
 * parts, a fourth allowed), 1.0 to 3.x (two parts, more allowed), each optionally with -IVn.
 */
const messageFormatVersion = (v: ConfigValue): string | undefined => {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:\.\d+)?(?:-IV\d+)?$/.exec(String(v));
  const [major, minor, patch] = m ? [Number(m[1]), Number(m[2]), m[3] === undefined ? null : Number(m[3])] : [];
  const known =
    major === 0
      ? minor !== undefined && minor >= 8 && minor <= 11 && patch !== null && patch !== undefined && patch <= 2
      : major !== undefined && major >= 1 && major <= 3 && minor !== undefined && minor <= 9;
  return known ? undefined : `${String(v)} is not a valid Kafka version (e.g. 0.10.2, 2.8, 3.0-IV1)`;
};

const COMPRESSION = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'];

const def = (
  name: string,
  type: ConfigType,
  dflt: string | null,
  doc: string,
  extra: Partial<ConfigDef> = {},
): ConfigDef => ({ name, type, default: dflt, doc, updateMode: 'read-only', ...extra });

/** Broker configs (server.properties). */
export const BROKER_CONFIGS: readonly ConfigDef[] = [
  def('node.id', 'int', '-1', 'The node id of this broker.', { validate: atLeast(0) }),
  def('broker.id', 'int', '-1', 'Alias of node.id kept for old server.properties files.'),
  def('process.roles', 'list', 'broker', 'The roles this process plays: broker, controller.', {
    validate: oneOf('broker', 'controller'),
  }),
  def('listeners', 'list', 'PLAINTEXT://127.0.0.1:9092', 'Listener URIs, NAME://host:port, comma separated.'),
  def('advertised.listeners', 'list', null, 'Listeners published to clients in metadata; defaults to listeners.', {
    updateMode: 'per-broker',
  }),
  def(
    'listener.security.protocol.map',
    'string',
    'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    'Listener name to security protocol.',
  ),
  def('inter.broker.listener.name', 'string', null, 'Listener used between brokers.'),
  def('controller.listener.names', 'list', null, 'Listeners used by the controller quorum.'),
  def('controller.quorum.voters', 'list', null, 'The controller quorum: id@host:port, comma separated.'),
  def('controller.quorum.election.timeout.ms', 'int', '1000', 'Base of the randomized Raft election timeout.', {
    validate: atLeast(1),
  }),
  def('controller.quorum.fetch.timeout.ms', 'int', '2000', 'Time without a leader fetch before a voter stands.', {
    validate: atLeast(1),
  }),
  def('controller.quorum.request.timeout.ms', 'int', '2000', 'Timeout of quorum requests between controllers.'),
  def('broker.heartbeat.interval.ms', 'int', '2000', 'Time between a broker heartbeats to the active controller.'),
  def('broker.session.timeout.ms', 'int', '9000', 'A broker without heartbeat this long is fenced.'),
  def('metadata.log.dir', 'string', null, 'Directory of the metadata log; defaults to the first log directory.'),
  def(
    'metadata.log.max.record.bytes.between.snapshots',
    'long',
    '20971520',
    'Metadata bytes committed after which a new snapshot of the metadata image is written.',
    { validate: atLeast(1) },
  ),
  def('broker.rack', 'string', null, 'Rack of this broker, for rack-aware replica placement.'),
  def('cluster.id', 'string', null, 'Cluster id; written to meta.properties when the log directory is formatted.'),
  def('log.dirs', 'list', null, 'Directories holding the partition logs (the first one also holds metadata).'),
  def('log.dir', 'string', '/tmp/kafka-logs', 'Log directory used when log.dirs is not set.'),
  def('num.partitions', 'int', '1', 'Default number of partitions for auto-created topics.', { validate: atLeast(1) }),
  def('default.replication.factor', 'int', '1', 'Default replication factor for auto-created topics.', {
    validate: atLeast(1),
  }),
  def('min.insync.replicas', 'int', '1', 'Minimum in-sync replicas for acks=all.', {
    validate: atLeast(1),
    updateMode: 'cluster-wide',
  }),
  def('auto.create.topics.enable', 'boolean', 'true', 'Create topics on first metadata request or produce.'),
  def('delete.topic.enable', 'boolean', 'true', 'Allow DeleteTopics.'),
  def('log.retention.ms', 'long', null, 'Retention time; overrides log.retention.minutes/hours. -1: unlimited.', {
    updateMode: 'cluster-wide',
  }),
  def('log.retention.minutes', 'int', null, 'Retention time in minutes.'),
  def('log.retention.hours', 'int', '168', 'Retention time in hours.'),
  def('log.retention.bytes', 'long', '-1', 'Maximum size of a partition log before old segments go. -1: no limit.', {
    updateMode: 'cluster-wide',
  }),
  // Flotilla's own key (not in Kafka): the broker's volume size, set by the control plane (issue 7).
  def(
    'log.dirs.max.bytes',
    'long',
    '-1',
    'Bytes all partition logs may hold; past it produce fails with KAFKA_STORAGE_ERROR. -1: no limit.',
    // Per broker and dynamic, so a volume grows online (MSK's UpdateBrokerStorage restarts nothing).
    { updateMode: 'per-broker' },
  ),
  def('log.retention.check.interval.ms', 'long', '300000', 'How often retention is enforced.', {
    validate: atLeast(1),
  }),
  def('log.segment.bytes', 'int', '1073741824', 'Segment file size before a new segment is rolled.', {
    validate: atLeast(14),
    updateMode: 'cluster-wide',
  }),
  def('log.roll.ms', 'long', null, 'Segment age before a roll; overrides log.roll.hours.', {
    updateMode: 'cluster-wide',
  }),
  def('log.roll.hours', 'int', '168', 'Segment age before a roll, in hours.', { validate: atLeast(1) }),
  def('log.index.interval.bytes', 'int', '4096', 'Bytes between offset index entries.', {
    validate: atLeast(0),
    updateMode: 'cluster-wide',
  }),
  def('log.index.size.max.bytes', 'int', '10485760', 'Maximum offset index size before a roll.', {
    validate: atLeast(4),
    updateMode: 'cluster-wide',
  }),
  def('log.flush.interval.messages', 'long', LONG_MAX, 'Messages appended to a partition before an fsync.', {
    validate: atLeast(1),
    updateMode: 'cluster-wide',
  }),
  def('log.flush.interval.ms', 'long', null, 'Maximum time a message stays unflushed.', { updateMode: 'cluster-wide' }),
  def('log.flush.scheduler.interval.ms', 'long', LONG_MAX, 'How often the flusher checks log.flush.interval.ms.'),
  def('log.cleanup.policy', 'list', 'delete', 'Default cleanup policy: delete, compact or both.', {
    validate: oneOf('delete', 'compact'),
    updateMode: 'cluster-wide',
  }),
  def('log.cleaner.enable', 'boolean', 'true', 'Run the log cleaner for compacted topics.'),
  def('log.cleaner.backoff.ms', 'long', '15000', 'Sleep between cleaner runs when there is nothing to clean.'),
  def('log.cleaner.min.cleanable.ratio', 'double', '0.5', 'Dirty ratio before a log is compacted.', {
    validate: between(0, 1),
    updateMode: 'cluster-wide',
  }),
  def('log.cleaner.delete.retention.ms', 'long', '86400000', 'How long tombstones are kept after compaction.', {
    updateMode: 'cluster-wide',
  }),
  def('log.cleaner.min.compaction.lag.ms', 'long', '0', 'Minimum age of a message before it may be compacted.', {
    updateMode: 'cluster-wide',
  }),
  def('log.cleaner.max.compaction.lag.ms', 'long', LONG_MAX, 'Maximum age before a message must be compacted.', {
    validate: atLeast(1),
    updateMode: 'cluster-wide',
  }),
  def('log.message.format.version', 'string', '3.0-IV1', 'Deprecated, as in Kafka 3.x: ignored, logs are v2.', {
    validate: messageFormatVersion,
  }),
  def('log.message.timestamp.type', 'string', 'CreateTime', 'CreateTime or LogAppendTime.', {
    validate: oneOf('CreateTime', 'LogAppendTime'),
    updateMode: 'cluster-wide',
  }),
  def('log.message.timestamp.before.max.ms', 'long', LONG_MAX, 'How far in the past a timestamp may be.', {
    updateMode: 'cluster-wide',
  }),
  def('log.message.timestamp.after.max.ms', 'long', LONG_MAX, 'How far in the future a timestamp may be.', {
    updateMode: 'cluster-wide',
  }),
  def('log.preallocate', 'boolean', 'false', 'Preallocate segment files.', { updateMode: 'cluster-wide' }),
  def('log.segment.delete.delay.ms', 'long', '60000', 'Delay before a deleted segment file is removed.', {
    updateMode: 'cluster-wide',
  }),
  def('compression.type', 'string', 'producer', 'Final compression of a topic; producer keeps what was sent.', {
    validate: oneOf(...COMPRESSION),
    updateMode: 'cluster-wide',
  }),
  def('message.max.bytes', 'int', '1048588', 'Largest record batch the broker accepts.', {
    validate: atLeast(0),
    updateMode: 'cluster-wide',
  }),
  def('replica.fetch.max.bytes', 'int', '1048576', 'Bytes a follower fetches per partition.'),
  def('replica.lag.time.max.ms', 'long', '30000', 'How long a follower may lag before leaving the ISR.'),
  def('replica.fetch.wait.max.ms', 'int', '500', 'Longest a follower fetch waits at the leader for data.'),
  def('replica.fetch.min.bytes', 'int', '1', 'Bytes a follower fetch waits for at the leader.'),
  def('replica.fetch.backoff.ms', 'int', '1000', 'Pause after a follower fetch fails.'),
  def('replica.fetch.response.max.bytes', 'int', '10485760', 'Bytes a follower fetch returns in all.'),
  def('replica.socket.timeout.ms', 'int', '30000', 'Timeout of a follower fetch request beyond its wait.'),
  // Replication quotas (KIP-73): bytes/s for the partitions the throttled-replicas topic configs name.
  def('leader.replication.throttled.rate', 'long', LONG_MAX, 'Bytes/s this broker sends to throttled followers.', {
    validate: atLeast(0),
    updateMode: 'per-broker',
  }),
  def('follower.replication.throttled.rate', 'long', LONG_MAX, 'Bytes/s this broker fetches for throttled replicas.', {
    validate: atLeast(0),
    updateMode: 'per-broker',
  }),
  def('replication.quota.window.num', 'int', '11', 'Samples kept to measure replication quota rates.', {
    validate: atLeast(1),
  }),
  def('replication.quota.window.size.seconds', 'int', '1', 'Length of one replication quota sample.', {
    validate: atLeast(1),
  }),
  // Client quotas (KIP-13): the samples producer_byte_rate / consumer_byte_rate are measured over.
  def('quota.window.num', 'int', '11', 'Samples kept to measure client quota rates.', { validate: atLeast(1) }),
  def('quota.window.size.seconds', 'int', '1', 'Length of one client quota sample.', { validate: atLeast(1) }),
  def('auto.leader.rebalance.enable', 'boolean', 'true', 'Move leadership back to preferred replicas.'),
  def('leader.imbalance.check.interval.seconds', 'long', '300', 'How often the controller checks leaders.'),
  def('leader.imbalance.per.broker.percentage', 'int', '10', 'Imbalance per broker that triggers rebalance.'),
  def('unclean.leader.election.enable', 'boolean', 'false', 'Allow out-of-sync replicas to become leader.', {
    updateMode: 'cluster-wide',
  }),
  def('offsets.topic.num.partitions', 'int', '50', 'Partitions of __consumer_offsets.', { validate: atLeast(1) }),
  def('offsets.topic.replication.factor', 'short', '3', 'Replication factor of __consumer_offsets.', {
    validate: atLeast(1),
  }),
  def('offsets.topic.segment.bytes', 'int', '104857600', 'Segment size of __consumer_offsets.'),
  def('offsets.retention.minutes', 'int', '10080', 'How long committed offsets of an empty group are kept.'),
  def('offsets.retention.check.interval.ms', 'long', '600000', 'How often expired offsets are removed.'),
  def('offsets.commit.timeout.ms', 'int', '5000', 'Time an offset commit waits for replication.'),
  def('offset.metadata.max.bytes', 'int', '4096', 'Largest metadata string of a committed offset.'),
  def(
    'group.initial.rebalance.delay.ms',
    'int',
    '3000',
    'Wait for more members before the first rebalance of a new group.',
  ),
  def('group.min.session.timeout.ms', 'int', '6000', 'Smallest session timeout a member may ask for.'),
  def('group.max.session.timeout.ms', 'int', '1800000', 'Largest session timeout a member may ask for.'),
  def('group.max.size', 'int', '2147483647', 'Most members in one consumer group.', { validate: atLeast(1) }),
  def('transaction.state.log.replication.factor', 'short', '3', 'Replication factor of __transaction_state.'),
  def('transaction.state.log.num.partitions', 'int', '50', 'Partitions of __transaction_state.'),
  def('transaction.state.log.min.isr', 'int', '2', 'min.insync.replicas of __transaction_state.'),
  def('transactional.id.expiration.ms', 'int', '604800000', 'Idle time before a transactional id expires.'),
  def('transaction.max.timeout.ms', 'int', '900000', 'Largest transaction timeout a producer may ask for.'),
  def('transaction.state.log.segment.bytes', 'int', '104857600', 'Segment size of __transaction_state.'),
  def('request.timeout.ms', 'int', '30000', 'Timeout of inter-broker requests (transaction markers).'),
  def(
    'transaction.partition.verification.enable',
    'boolean',
    'true',
    "Verify a transaction's first batch in a partition with its coordinator (KIP-890).",
    { updateMode: 'cluster-wide' },
  ),
  def(
    'transaction.abort.timed.out.transaction.cleanup.interval.ms',
    'int',
    '10000',
    'How often transactions past their timeout are aborted.',
  ),
  def(
    'transaction.remove.expired.transaction.cleanup.interval.ms',
    'int',
    '3600000',
    'How often expired transactional ids are removed.',
  ),
  def('producer.id.expiration.ms', 'int', '86400000', 'Idle time before an idempotent producer state expires.'),
  def('max.incremental.fetch.session.cache.slots', 'int', '1000', 'Fetch sessions kept by the broker.'),
  def('num.network.threads', 'int', '3', 'Accepted for compatibility; the broker runs one event loop.'),
  def('num.io.threads', 'int', '8', 'Accepted for compatibility; the broker runs one event loop.'),
  def('socket.request.max.bytes', 'int', '104857600', 'Largest request frame accepted.', { validate: atLeast(1) }),
  def('socket.send.buffer.bytes', 'int', '102400', 'SO_SNDBUF hint (-1: OS default).'),
  def('socket.receive.buffer.bytes', 'int', '102400', 'SO_RCVBUF hint (-1: OS default).'),
  def('connections.max.idle.ms', 'long', '600000', 'Idle connections are closed after this long.'),
  def('queued.max.requests', 'int', '500', 'Requests a connection may queue before reading pauses.'),
  def('metrics.port', 'int', '-1', 'Port of the Prometheus /metrics endpoint on the first listener host (-1: off).'),
  def('metrics.host', 'string', null, 'Host of the metrics endpoint (defaults to the first listener host).'),
  // Security (issue 5): TLS, SASL and the authorizer. Each can also be set per listener as
  // listener.name.<listener>.<key> (security/listener-security.ts).
  def('ssl.keystore.type', 'string', 'PEM', 'PEM or PKCS12 (JKS is not supported; Kafka defaults to JKS).'),
  def('ssl.keystore.location', 'string', null, 'Keystore file: PEM with private key and certificate chain, or PKCS12.'),
  def('ssl.keystore.password', 'password', null, 'Password of a PKCS12 keystore.'),
  def('ssl.key.password', 'password', null, 'Password of the (encrypted) private key in a PEM keystore.'),
  def('ssl.keystore.certificate.chain', 'password', null, 'The certificate chain in PEM, instead of a file.'),
  def('ssl.keystore.key', 'password', null, 'The private key in PEM, instead of a file.'),
  def('ssl.truststore.type', 'string', 'PEM', 'PEM (CA certificates that client certificates must chain to).'),
  def('ssl.truststore.location', 'string', null, 'File of trusted CA certificates (PEM).'),
  def('ssl.truststore.password', 'password', null, 'Accepted for compatibility; PEM truststores have none.'),
  def('ssl.truststore.certificates', 'password', null, 'Trusted CA certificates in PEM, instead of a file.'),
  def('ssl.client.auth', 'string', 'none', 'Client certificates: required, requested or none.', {
    validate: oneOf('required', 'requested', 'none'),
  }),
  def('ssl.enabled.protocols', 'list', 'TLSv1.2,TLSv1.3', 'TLS versions accepted.', {
    validate: oneOf('TLSv1.2', 'TLSv1.3'),
  }),
  def('ssl.cipher.suites', 'list', null, 'OpenSSL cipher names; empty for the defaults.'),
  def(
    'sasl.enabled.mechanisms',
    'list',
    'SCRAM-SHA-256,SCRAM-SHA-512',
    'SASL mechanisms: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (Kafka defaults to GSSAPI, which Flotilla lacks).',
    { validate: oneOf('PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512') },
  ),
  def('sasl.mechanism.inter.broker.protocol', 'string', 'SCRAM-SHA-512', 'SASL mechanism between brokers.'),
  def(
    'sasl.mechanism.controller.protocol',
    'string',
    'PLAIN',
    'SASL mechanism of connections to the controllers (Kafka: GSSAPI; PLAIN here, as SCRAM credentials live in the metadata the quorum serves).',
  ),
  def('security.inter.broker.protocol', 'string', 'PLAINTEXT', 'Protocol between brokers when no listener is named.'),
  def('sasl.server.max.receive.size', 'int', '524288', 'Largest request accepted before SASL authentication.'),
  def('connections.max.reauth.ms', 'long', '0', 'SASL session lifetime (KIP-368); 0 means sessions never expire.', {
    validate: atLeast(0),
  }),
  def('authorizer.class.name', 'string', '', 'Set (to any Kafka authorizer class name) to enforce ACLs; empty: none.'),
  def('super.users', 'string', null, 'Principals allowed everything, separated by ";" (User:admin;User:ops).'),
  def('allow.everyone.if.no.acl.found', 'boolean', 'false', 'Allow access to resources that have no ACL at all.'),
  // Kafka configs clients alter (librdkafka's admin tests do) that have no effect here.
  def('sasl.kerberos.min.time.before.relogin', 'long', '60000', 'Accepted for compatibility: no Kerberos here.', {
    updateMode: 'per-broker',
  }),
  def('background.threads', 'int', '10', 'Accepted for compatibility: the broker runs one event loop.', {
    validate: atLeast(1),
    updateMode: 'cluster-wide',
  }),
  def('controlled.shutdown.enable', 'boolean', 'true', 'Move leaderships away before shutting down.'),
];

/** Topic configs: names, defaults via broker synonyms, validation. */
export const TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  {
    ...def('cleanup.policy', 'list', 'delete', 'delete, compact, or both.', { validate: oneOf('delete', 'compact') }),
    brokerSynonym: 'log.cleanup.policy',
  },
  {
    ...def('compression.type', 'string', 'producer', 'Final compression type.', { validate: oneOf(...COMPRESSION) }),
    brokerSynonym: 'compression.type',
  },
  {
    ...def('delete.retention.ms', 'long', '86400000', 'How long tombstones are kept.', { validate: atLeast(0) }),
    brokerSynonym: 'log.cleaner.delete.retention.ms',
  },
  {
    ...def('file.delete.delay.ms', 'long', '60000', 'Delay before deleting a file.', { validate: atLeast(0) }),
    brokerSynonym: 'log.segment.delete.delay.ms',
  },
  {
    ...def('flush.messages', 'long', LONG_MAX, 'Messages between fsyncs.', { validate: atLeast(1) }),
    brokerSynonym: 'log.flush.interval.messages',
  },
  {
    ...def('flush.ms', 'long', LONG_MAX, 'Time between fsyncs.', { validate: atLeast(0) }),
    brokerSynonym: 'log.flush.interval.ms',
  },
  {
    ...def('index.interval.bytes', 'int', '4096', 'Bytes between index entries.', { validate: atLeast(0) }),
    brokerSynonym: 'log.index.interval.bytes',
  },
  {
    ...def('max.compaction.lag.ms', 'long', LONG_MAX, 'Maximum time a message stays uncompacted.', {
      validate: atLeast(1),
    }),
    brokerSynonym: 'log.cleaner.max.compaction.lag.ms',
  },
  {
    ...def(
      'follower.replication.throttled.replicas',
      'list',
      '',
      'Replicas (partition:broker, or *) whose follower fetches are throttled on the follower side.',
      { validate: throttledReplicaList },
    ),
  },
  {
    ...def(
      'leader.replication.throttled.replicas',
      'list',
      '',
      'Replicas (partition:broker, or *) whose fetches from followers are throttled on the leader side.',
      { validate: throttledReplicaList },
    ),
  },
  {
    ...def('max.message.bytes', 'int', '1048588', 'Largest record batch.', { validate: atLeast(0) }),
    brokerSynonym: 'message.max.bytes',
  },
  {
    ...def('message.timestamp.type', 'string', 'CreateTime', 'CreateTime or LogAppendTime.', {
      validate: oneOf('CreateTime', 'LogAppendTime'),
    }),
    brokerSynonym: 'log.message.timestamp.type',
  },
  {
    ...def('message.timestamp.before.max.ms', 'long', LONG_MAX, 'How far in the past a timestamp may be.', {
      validate: atLeast(0),
    }),
    brokerSynonym: 'log.message.timestamp.before.max.ms',
  },
  {
    ...def('message.timestamp.after.max.ms', 'long', LONG_MAX, 'How far in the future a timestamp may be.', {
      validate: atLeast(0),
    }),
    brokerSynonym: 'log.message.timestamp.after.max.ms',
  },
  {
    ...def('min.cleanable.dirty.ratio', 'double', '0.5', 'Dirty ratio that triggers compaction.', {
      validate: between(0, 1),
    }),
    brokerSynonym: 'log.cleaner.min.cleanable.ratio',
  },
  {
    ...def('min.compaction.lag.ms', 'long', '0', 'Minimum age before compaction.', { validate: atLeast(0) }),
    brokerSynonym: 'log.cleaner.min.compaction.lag.ms',
  },
  {
    ...def('min.insync.replicas', 'int', '1', 'Minimum in-sync replicas for acks=all.', { validate: atLeast(1) }),
    brokerSynonym: 'min.insync.replicas',
  },
  { ...def('preallocate', 'boolean', 'false', 'Preallocate segment files.'), brokerSynonym: 'log.preallocate' },
  {
    ...def('retention.bytes', 'long', '-1', 'Maximum partition size before old segments go.'),
    brokerSynonym: 'log.retention.bytes',
  },
  {
    ...def('retention.ms', 'long', '604800000', 'Maximum age of a segment before it goes (-1: forever).', {
      validate: atLeast(-1),
    }),
    brokerSynonym: 'log.retention.ms',
  },
  {
    ...def('segment.bytes', 'int', '1073741824', 'Segment size.', { validate: atLeast(14) }),
    brokerSynonym: 'log.segment.bytes',
  },
  {
    ...def('segment.index.bytes', 'int', '10485760', 'Offset index size.', { validate: atLeast(4) }),
    brokerSynonym: 'log.index.size.max.bytes',
  },
  {
    ...def('segment.jitter.ms', 'long', '0', 'Random jitter subtracted from segment.ms.', { validate: atLeast(0) }),
    brokerSynonym: 'log.roll.jitter.ms',
  },
  {
    ...def('segment.ms', 'long', '604800000', 'Segment age before a roll.', { validate: atLeast(1) }),
    brokerSynonym: 'log.roll.ms',
  },
  {
    ...def('unclean.leader.election.enable', 'boolean', 'false', 'Allow out-of-sync leaders.'),
    brokerSynonym: 'unclean.leader.election.enable',
  },
  {
    // Kafka 3.x accepts and ignores it (inter.broker.protocol.version >= 3.0 always writes record batches
    // v2); clients such as librdkafka's 0092 still set it. Old consumers get v0/v1 by down-conversion.
    ...def('message.format.version', 'string', '3.0-IV1', 'Deprecated, as in Kafka 3.x: ignored, logs are v2.', {
      validate: messageFormatVersion,
    }),
    brokerSynonym: 'log.message.format.version',
  },
  {
    ...def('message.downconversion.enable', 'boolean', 'true', 'Down-convert for old consumers.'),
    brokerSynonym: 'log.message.downconversion.enable',
  },
];

export const BROKER_CONFIG_DEFS: ReadonlyMap<string, ConfigDef> = new Map(BROKER_CONFIGS.map((d) => [d.name, d]));
export const TOPIC_CONFIG_DEFS: ReadonlyMap<string, TopicConfigDef> = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));

/** Parses a config's string form; throws with a message naming the key when it is invalid. */
export function parseConfigValue(d: ConfigDef, text: string | null): ConfigValue {
  if (text === null) return null;
  const fail = (why: string): never => {
    throw new ConfigError(d.name, text, why);
  };
  let value: ConfigValue;
  const trimmed = text.trim();
  switch (d.type) {
    case 'boolean':
      if (!/^(true|false)$/i.test(trimmed)) fail('expected true or false');
      value = trimmed.toLowerCase() === 'true';
      break;
    case 'int':
    case 'short':
    case 'long': {
      if (!/^-?\d+$/.test(trimmed)) fail(`expected an integer`);
      const n = Number(trimmed);
      const [min, max] =
        d.type === 'short' ? [-32768, 32767] : d.type === 'int' ? [-2147483648, 2147483647] : [-(2 ** 63), 2 ** 63];
      if (n < min || n > max) fail(`out of range for ${d.type}`);
      value = n;
      break;
    }
    case 'double': {
      const n = Number(trimmed);
      if (trimmed === '' || Number.isNaN(n)) fail('expected a number');
      value = n;
      break;
    }
    case 'list':
      value = trimmed === '' ? [] : trimmed.split(',').map((s) => s.trim());
      break;
    default:
      value = text;
  }
  const why = d.validate?.(value);
  if (why) fail(why);
  return value;
}

export class ConfigError extends Error {
  readonly code = 'ERR_INVALID_CONFIG';
  constructor(
    readonly key: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`Invalid value ${JSON.stringify(value)} for configuration ${key}: ${reason}`);
    this.name = 'ConfigError';
  }
}
