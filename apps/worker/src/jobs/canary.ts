/**
 * The round trip a new cluster must pass before it is ACTIVE (issue 6): create a topic replicated like
 * the cluster's topics will be, produce one record with acks=all to its leader, fetch it back, compare,
 * delete the topic. It proves what "every broker registered" does not: a controller that creates
 * topics, leaders elected, replicas acknowledging, and the log answering fetches.
 *
 * Spoken in Kafka's own protocol through @flotilla/protocol (AdminClient for topics, a Connection for
 * Produce and Fetch), as any client would.
 */
import { randomBytes } from 'node:crypto';
import {
  AdminClient,
  ApiKey,
  type Connection,
  connect,
  decodeBatches,
  decodeRecords,
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  defaultFetchRequestFetchTopic,
  defaultProduceRequest,
  ErrorCode,
  encodeBatch,
  KafkaError,
} from '@flotilla/protocol';
import { adminOptions, type ClusterEndpoint } from '../kafka/cluster-endpoint.js';

/** Internal-looking name that clients' topic listings and the reconcilers can recognise and skip. */
export const CANARY_TOPIC = '__flotilla_canary';

export interface CanaryResult {
  readonly topic: string;
  readonly replicationFactor: number;
  readonly leader: number;
  readonly offset: string;
  readonly roundTripMs: number;
}

export async function canaryRoundTrip(
  endpoint: ClusterEndpoint,
  brokerCount: number,
  signal: AbortSignal,
  timeoutMs = 30_000,
): Promise<CanaryResult> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const replicationFactor = Math.min(3, brokerCount);
  const admin = new AdminClient({ ...adminOptions(endpoint), clientId: 'flotilla-canary', requestTimeoutMs: 10_000 });
  let connection: Connection | undefined;
  try {
    try {
      await admin.createTopics([{ name: CANARY_TOPIC, numPartitions: 1, replicationFactor }]);
    } catch (error) {
      // Left by an earlier attempt that died before deleting it.
      if (!(error instanceof KafkaError && error.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS)) throw error;
    }
    // Leaders are elected asynchronously after CreateTopics answers.
    let leader = -1;
    let topicId = '';
    while (leader < 0) {
      signal.throwIfAborted();
      if (Date.now() > deadline) throw new Error(`${CANARY_TOPIC} got no leader in ${timeoutMs} ms`);
      const metadata = await admin.metadata([CANARY_TOPIC]);
      const topic = metadata.topics.find((t) => t.name === CANARY_TOPIC);
      leader = topic?.partitions[0]?.leader ?? -1;
      topicId = topic?.topicId ?? '';
      if (leader >= 0) {
        const broker = metadata.brokers.find((b) => b.nodeId === leader);
        if (!broker) throw new Error(`leader ${leader} of ${CANARY_TOPIC} is not in the metadata`);
        connection = await connect({
          host: broker.host,
          port: broker.port,
          clientId: 'flotilla-canary',
          ...(endpoint.sasl ? { sasl: endpoint.sasl } : {}),
        });
      } else {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (!connection) throw new Error('no connection to the canary leader');

    const value = randomBytes(16);
    const records = encodeBatch({
      baseTimestamp: BigInt(Date.now()),
      records: [{ attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value, headers: [] }],
    });
    const produced = await connection.request(ApiKey.Produce, {
      ...defaultProduceRequest(),
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: CANARY_TOPIC, partitionData: [{ index: 0, records }] }],
    });
    // Typed as possibly undefined because acks=0 gets no answer; acks=-1 always does.
    const ack = produced?.responses[0]?.partitionResponses[0];
    if (!ack) throw new Error('Produce answered without a partition response');
    if (ack.errorCode !== 0) throw new KafkaError(ack.errorCode, `producing to ${CANARY_TOPIC}`);

    const fetched = await connection.request(ApiKey.Fetch, {
      ...defaultFetchRequest(),
      maxWaitMs: 1_000,
      minBytes: 1,
      maxBytes: 1 << 20,
      topics: [
        {
          ...defaultFetchRequestFetchTopic(),
          topic: CANARY_TOPIC,
          topicId,
          partitions: [
            {
              ...defaultFetchRequestFetchPartition(),
              partition: 0,
              fetchOffset: ack.baseOffset,
              partitionMaxBytes: 1 << 20,
            },
          ],
        },
      ],
    });
    if (fetched.errorCode !== 0) throw new KafkaError(fetched.errorCode, `fetching from ${CANARY_TOPIC}`);
    const part = fetched.responses[0]?.partitions[0];
    if (!part) throw new Error('Fetch answered without a partition');
    if (part.errorCode !== 0) throw new KafkaError(part.errorCode, `fetching from ${CANARY_TOPIC}`);
    const found = part.records
      ? decodeBatches(part.records)
          .batches.flatMap((b) => (b.magic === 2 ? decodeRecords(b) : []))
          .some((r) => r.value?.equals(value))
      : false;
    if (!found) throw new Error(`the record produced at offset ${ack.baseOffset} did not come back from a fetch`);

    await admin.deleteTopics([CANARY_TOPIC]);
    return {
      topic: CANARY_TOPIC,
      replicationFactor,
      leader,
      offset: String(ack.baseOffset),
      roundTripMs: Date.now() - started,
    };
  } finally {
    await connection?.close();
    await admin.close();
  }
}
