/**
 * Writing transaction markers (KIP-98): the COMMIT or ABORT control batch that ends a producer's
 * transaction in each of its partitions. Kafka's coordinator sends WriteTxnMarkers to each partition's
 * leader (TransactionMarkerChannelManager); here the coordinator hands markers to a MarkerWriter. The
 * cluster writer appends them itself to the partitions this broker leads and sends WriteTxnMarkers to
 * the leaders of the others, over the inter-broker listener; their handler (27-write-txn-markers.ts)
 * runs the same local function. A marker in a __consumer_offsets partition also makes the group
 * coordinator publish (commit) or drop (abort) the producer's transactional offsets.
 */
import {
  ApiKey,
  type Connection,
  type ConnectionOptions,
  ControlRecordType,
  connect,
  ErrorCode,
  encodeEndTxnMarkerBatch,
  KafkaError,
} from '@flotilla/protocol';
import type { GroupCoordinator } from '../group/coordinator.js';
import { OFFSETS_TOPIC } from '../group/hash.js';
import type { MetadataImage } from '../metadata/image.js';
import type { ReplicaManager } from '../replica/replica-manager.js';
import type { TopicConfigs } from '../topic-configs.js';
import type { TxnTopicPartitions } from './records.js';

export interface MarkerRequest {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly commit: boolean;
  readonly partitions: readonly TxnTopicPartitions[];
}

export interface MarkerResult {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
}

export interface MarkerWriter {
  write(request: MarkerRequest): Promise<MarkerResult[]>;
  close?(): Promise<void>;
}

export interface LocalMarkerDeps {
  readonly image: MetadataImage;
  readonly replicas: ReplicaManager;
  readonly topicConfigs: TopicConfigs;
  /** Resolved late: the group coordinator is built after the transaction coordinator's writer. */
  readonly groups: () => GroupCoordinator;
  /** How long a marker waits for its partition's ISR (request.timeout.ms, as Kafka's marker append). */
  readonly replicationTimeoutMs: () => number;
}

/**
 * Appends the marker to each partition this broker leads and waits for each partition's ISR to have it
 * (Kafka appends markers with acks=-1 and answers WriteTxnMarkers from the append's callback), so a
 * COMMIT the coordinator counts as written survives the loss of that partition's leader. One error
 * code per partition: NOT_ENOUGH_REPLICAS(_AFTER_APPEND) or REQUEST_TIMED_OUT when the ISR did not
 * take it, which the coordinator retries.
 */
export async function writeMarkersLocally(
  deps: LocalMarkerDeps,
  request: MarkerRequest,
  now = Date.now(),
): Promise<MarkerResult[]> {
  const pending: Promise<MarkerResult>[] = [];
  for (const tp of request.partitions) {
    for (const partition of tp.partitions) {
      pending.push(
        writeOne(deps, request, tp.topic, partition, now).then((errorCode) => ({
          topic: tp.topic,
          partition,
          errorCode,
        })),
      );
    }
  }
  return Promise.all(pending);
}

async function writeOne(
  deps: LocalMarkerDeps,
  request: MarkerRequest,
  topic: string,
  partition: number,
  now: number,
): Promise<number> {
  try {
    const p = deps.replicas.leaderPartition(topic, partition);
    p.producers.checkMarker(request.producerId, request.producerEpoch, request.coordinatorEpoch);
    const batch = encodeEndTxnMarkerBatch({
      type: request.commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
      producerId: BigInt(request.producerId),
      producerEpoch: request.producerEpoch,
      coordinatorEpoch: request.coordinatorEpoch,
      timestamp: BigInt(now),
    });
    const config = deps.topicConfigs.logConfig(topic);
    const minInsync = deps.topicConfigs.minInsyncReplicas(topic);
    const appended = p.appendAsLeader(batch, -1, config.maxMessageBytes, minInsync, 'coordinator');
    const code = await deps.replicas.awaitReplication(
      p,
      appended.lastOffset + 1,
      minInsync,
      deps.replicationTimeoutMs(),
    );
    if (code !== ErrorCode.NONE) return code;
    // Only a marker the ISR holds publishes the transaction's offsets (scheduleHandleTxnCompletion).
    if (topic === OFFSETS_TOPIC) deps.groups().completeTransaction(partition, request.producerId, request.commit);
    return ErrorCode.NONE;
  } catch (e) {
    if (e instanceof KafkaError) return e.errorCode;
    throw e;
  }
}

export class LocalMarkerWriter implements MarkerWriter {
  constructor(private readonly deps: LocalMarkerDeps) {}

  async write(request: MarkerRequest): Promise<MarkerResult[]> {
    return writeMarkersLocally(this.deps, request);
  }
}

export interface ClusterMarkerDeps extends LocalMarkerDeps {
  readonly nodeId: number;
  /** Where another broker listens for inter-broker requests; null when unknown. */
  readonly endpointOf: (brokerId: number) => { host: string; port: number } | null;
  readonly requestTimeoutMs: number;
  readonly connect?: (options: ConnectionOptions) => Promise<Connection>;
}

/**
 * Markers for partitions led here are appended directly; the others go to their leaders in one
 * WriteTxnMarkers request per leader. A leader that cannot be reached, or is unknown, counts as
 * NOT_LEADER_OR_FOLLOWER for its partitions, which the coordinator retries.
 */
export class ClusterMarkerWriter implements MarkerWriter {
  private readonly connections = new Map<number, Promise<Connection>>();

  constructor(private readonly deps: ClusterMarkerDeps) {}

  async write(request: MarkerRequest): Promise<MarkerResult[]> {
    const local: { topic: string; partitions: number[] }[] = [];
    const remote = new Map<number, { topic: string; partitions: number[] }[]>();
    const results: MarkerResult[] = [];
    const add = (list: { topic: string; partitions: number[] }[], topic: string, partition: number) => {
      let t = list.find((x) => x.topic === topic);
      if (!t) {
        t = { topic, partitions: [] };
        list.push(t);
      }
      t.partitions.push(partition);
    };
    for (const tp of request.partitions) {
      for (const partition of tp.partitions) {
        const info = this.deps.image.topics.get(tp.topic)?.partitions[partition];
        if (!info) results.push({ topic: tp.topic, partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
        else if (info.leader === this.deps.nodeId) add(local, tp.topic, partition);
        else if (info.leader < 0)
          results.push({ topic: tp.topic, partition, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
        else {
          const list = remote.get(info.leader) ?? [];
          add(list, tp.topic, partition);
          remote.set(info.leader, list);
        }
      }
    }
    const [written, ...sent] = await Promise.all([
      local.length > 0 ? writeMarkersLocally(this.deps, { ...request, partitions: local }) : [],
      ...[...remote].map(([leader, partitions]) => this.send(leader, request, partitions)),
    ]);
    for (const r of [written ?? [], ...sent]) results.push(...r);
    return results;
  }

  private async send(
    leader: number,
    request: MarkerRequest,
    partitions: { topic: string; partitions: number[] }[],
  ): Promise<MarkerResult[]> {
    try {
      const connection = await this.connection(leader);
      const response = await connection.request(
        ApiKey.WriteTxnMarkers,
        {
          markers: [
            {
              producerId: BigInt(request.producerId),
              producerEpoch: request.producerEpoch,
              transactionResult: request.commit,
              topics: partitions.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })),
              coordinatorEpoch: request.coordinatorEpoch,
            },
          ],
        },
        { timeoutMs: this.deps.requestTimeoutMs },
      );
      const topics = response.markers[0]?.topics ?? [];
      return partitions.flatMap((t) =>
        t.partitions.map((partition) => {
          const r = topics.find((x) => x.name === t.topic)?.partitions.find((x) => x.partitionIndex === partition);
          return { topic: t.topic, partition, errorCode: r ? r.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR };
        }),
      );
    } catch {
      // The leader moved or went away: forget the connection; the coordinator retries the markers.
      const c = this.connections.get(leader);
      this.connections.delete(leader);
      void c?.then((x) => x.close()).catch(() => {});
      return partitions.flatMap((t) =>
        t.partitions.map((partition) => ({ topic: t.topic, partition, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER })),
      );
    }
  }

  private connection(brokerId: number): Promise<Connection> {
    let c = this.connections.get(brokerId);
    if (!c) {
      const endpoint = this.deps.endpointOf(brokerId);
      if (!endpoint) return Promise.reject(new Error(`no endpoint known for broker ${brokerId}`));
      const open = this.deps.connect ?? connect;
      c = open({
        host: endpoint.host,
        port: endpoint.port,
        clientId: `broker-${this.deps.nodeId}-txn-markers`,
        requestTimeoutMs: this.deps.requestTimeoutMs,
      });
      c.catch(() => this.connections.delete(brokerId));
      this.connections.set(brokerId, c);
    }
    return c;
  }

  async close(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => c.then((x) => x.close()).catch(() => {})));
  }
}

/** A broker's endpoint on the inter-broker listener (else its first), as replica fetchers find leaders. */
export function interBrokerEndpoint(
  image: MetadataImage,
  listenerName: string | null,
): (brokerId: number) => { host: string; port: number } | null {
  return (brokerId) => {
    const broker = image.brokers.get(brokerId);
    const e = broker?.endpoints.find((x) => x.name === listenerName) ?? broker?.endpoints[0];
    return e ? { host: e.host || '127.0.0.1', port: e.port } : null;
  };
}
