/**
 * Writing transaction markers (KIP-98): the COMMIT or ABORT control batch that ends a producer's
 * transaction in each of its partitions. Kafka's coordinator sends WriteTxnMarkers to each partition's
 * leader; here the coordinator hands markers to a MarkerWriter, and the local writer appends them to
 * the partitions this broker leads (the WriteTxnMarkers handler uses the same function, so another
 * broker's coordinator reaches them through that API). A marker in a __consumer_offsets partition also
 * makes the group coordinator publish (commit) or drop (abort) the producer's transactional offsets.
 */
import { ControlRecordType, ErrorCode, encodeEndTxnMarkerBatch, KafkaError } from '@flotilla/protocol';
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
}

export interface LocalMarkerDeps {
  readonly image: MetadataImage;
  readonly replicas: ReplicaManager;
  readonly topicConfigs: TopicConfigs;
  /** Resolved late: the group coordinator is built after the transaction coordinator's writer. */
  readonly groups: () => GroupCoordinator;
}

/** Appends the marker to each partition this broker leads; one error code per partition. */
export function writeMarkersLocally(deps: LocalMarkerDeps, request: MarkerRequest, now = Date.now()): MarkerResult[] {
  const results: MarkerResult[] = [];
  for (const tp of request.partitions) {
    for (const partition of tp.partitions) {
      results.push({ topic: tp.topic, partition, errorCode: writeOne(deps, request, tp.topic, partition, now) });
    }
  }
  return results;
}

function writeOne(
  deps: LocalMarkerDeps,
  request: MarkerRequest,
  topic: string,
  partition: number,
  now: number,
): number {
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
    p.appendAsLeader(batch, -1, config.maxMessageBytes, deps.topicConfigs.minInsyncReplicas(topic), 'coordinator');
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
