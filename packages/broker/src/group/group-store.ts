/**
 * Where group state is made durable: the group's partition of __consumer_offsets. Writes go through
 * the partition as leader, like a producer's with acks=all, so that they replicate like any other
 * data; a commit is answered only once its append succeeded. Loading reads the partition from its log
 * start to its high watermark and keeps the last value of each key (a null value deletes it), which
 * is also what log compaction keeps.
 */
import {
  ControlRecordType,
  DecodeError,
  decodeBatches,
  decodeControlRecordKey,
  decodeRecords,
  ErrorCode,
  encodeBatch,
  KafkaError,
  type Record,
} from '@flotilla/protocol';
import type { Partition } from '../replica/partition.js';
import type { ReplicaManager } from '../replica/replica-manager.js';
import type { TopicConfigs } from '../topic-configs.js';
import { OFFSETS_TOPIC } from './hash.js';
import {
  decodeOffsetsTopicRecord,
  encodeOffsetsTopicRecord,
  type GroupMetadataValue,
  type OffsetCommitValue,
  type OffsetsTopicRecord,
} from './records.js';

/** The producer of a transactional offset commit (TxnOffsetCommit). */
export interface TxnProducer {
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface GroupStore {
  /** Appends records to a partition of __consumer_offsets; rejects with a KafkaError when it cannot. */
  append(partition: number, records: readonly OffsetsTopicRecord[]): Promise<void>;
  /**
   * Appends records as part of a producer's transaction: a transactional batch with the producer's id
   * and epoch, which the transaction's marker later commits or aborts (GroupMetadataManager.storeOffsets).
   */
  appendTransactional?(partition: number, records: readonly OffsetsTopicRecord[], producer: TxnProducer): Promise<void>;
}

/** Bytes read from the log at a time while loading (Kafka's offsets.load.buffer.size). */
const LOAD_CHUNK_BYTES = 5 * 1024 * 1024;
/** Per-record overhead of a batch (length, attributes, deltas, header count) at most. */
const RECORD_OVERHEAD = 32;
const BATCH_HEADER = 61;

export class PartitionGroupStore implements GroupStore {
  constructor(
    private readonly replicas: ReplicaManager,
    private readonly topicConfigs: TopicConfigs,
    private readonly now: () => number = Date.now,
    /** offsets.commit.timeout.ms: how long a write waits for the ISR of its __consumer_offsets partition. */
    private readonly commitTimeoutMs: () => number = () => 5000,
  ) {}

  /**
   * A group write counts once every in-sync replica has it (acks=all, as Kafka's GroupMetadataManager
   * appends), so a committed offset survives the loss of the coordinator; the error codes map to
   * COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR in commitErrorFor.
   */
  private async replicated(p: Partition, lastOffset: number): Promise<void> {
    const minIsr = this.topicConfigs.minInsyncReplicas(OFFSETS_TOPIC);
    const code = await this.replicas.awaitReplication(p, lastOffset + 1, minIsr, this.commitTimeoutMs());
    if (code !== ErrorCode.NONE) {
      throw new KafkaError(code, `${OFFSETS_TOPIC}-${p.partitionId} did not replicate the write to its ISR`);
    }
  }

  async append(partition: number, records: readonly OffsetsTopicRecord[]): Promise<void> {
    if (records.length === 0) return;
    const p = this.replicas.get(OFFSETS_TOPIC, partition);
    if (!p)
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `this broker does not host ${OFFSETS_TOPIC}-${partition}`);
    const maxMessageBytes = this.topicConfigs.logConfig(OFFSETS_TOPIC).maxMessageBytes;
    const bytes = Buffer.concat(toBatches(records, this.now(), maxMessageBytes));
    const result = p.appendAsLeader(bytes, -1, maxMessageBytes, this.topicConfigs.minInsyncReplicas(OFFSETS_TOPIC));
    await this.replicated(p, result.lastOffset);
  }

  async appendTransactional(
    partition: number,
    records: readonly OffsetsTopicRecord[],
    producer: TxnProducer,
  ): Promise<void> {
    if (records.length === 0) return;
    const p = this.replicas.get(OFFSETS_TOPIC, partition);
    if (!p)
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `this broker does not host ${OFFSETS_TOPIC}-${partition}`);
    const maxMessageBytes = this.topicConfigs.logConfig(OFFSETS_TOPIC).maxMessageBytes;
    // One batch (a producer's append is one batch); written as the coordinator, so not sequence-checked.
    const bytes = Buffer.concat(toBatches(records, this.now(), Number.MAX_SAFE_INTEGER, producer));
    const result = p.appendAsLeader(
      bytes,
      -1,
      maxMessageBytes,
      this.topicConfigs.minInsyncReplicas(OFFSETS_TOPIC),
      'coordinator',
    );
    await this.replicated(p, result.lastOffset);
  }
}

/** Encodes records into as few batches as fit max.message.bytes (a huge DeleteGroups may not fit one). */
export function toBatches(
  records: readonly OffsetsTopicRecord[],
  now: number,
  maxMessageBytes: number,
  producer?: TxnProducer,
): Buffer[] {
  const batches: Buffer[] = [];
  let current: Record[] = [];
  let size = BATCH_HEADER;
  const txn = producer
    ? {
        producerId: BigInt(producer.producerId),
        producerEpoch: producer.producerEpoch,
        baseSequence: 0,
        isTransactional: true,
      }
    : {};
  const flush = () => {
    if (current.length === 0) return;
    batches.push(Buffer.from(encodeBatch({ baseTimestamp: BigInt(now), records: current, ...txn })));
    current = [];
    size = BATCH_HEADER;
  };
  for (const r of records) {
    const { key, value } = encodeOffsetsTopicRecord(r);
    const recordSize = key.length + (value?.length ?? 0) + RECORD_OVERHEAD;
    if (current.length > 0 && size + recordSize > maxMessageBytes) flush();
    current.push({ attributes: 0, timestampDelta: 0, offsetDelta: current.length, key, value, headers: [] });
    size += recordSize;
  }
  flush();
  return batches;
}

/** What one partition's log says about one group after replay. */
export interface LoadedGroup {
  /** The last group metadata; null when the last word was a tombstone, undefined when never written. */
  metadata: GroupMetadataValue | null | undefined;
  /** Committed offsets by topic, then partition. */
  readonly offsets: Map<string, Map<number, OffsetCommitValue>>;
}

/** Folds records into the state they leave behind: the last value per key wins, tombstones delete. */
export class OffsetsReplay {
  readonly groups = new Map<string, LoadedGroup>();
  /** Offset commits of transactions whose marker has not been read (yet), by producer id. */
  readonly pendingTxn = new Map<number, OffsetsTopicRecord[]>();
  skipped = 0;

  /** A record of a transactional batch: held until the producer's marker. */
  applyTransactional(producerId: number, record: OffsetsTopicRecord): void {
    let list = this.pendingTxn.get(producerId);
    if (!list) {
      list = [];
      this.pendingTxn.set(producerId, list);
    }
    list.push(record);
  }

  /** A marker: the producer's held records apply (commit) or are dropped (abort). */
  completeTxn(producerId: number, commit: boolean): void {
    const list = this.pendingTxn.get(producerId);
    this.pendingTxn.delete(producerId);
    if (commit) for (const r of list ?? []) this.apply(r);
  }

  private group(id: string): LoadedGroup {
    let g = this.groups.get(id);
    if (!g) {
      g = { metadata: undefined, offsets: new Map() };
      this.groups.set(id, g);
    }
    return g;
  }

  apply(record: OffsetsTopicRecord): void {
    if (record.type === 'group-metadata') {
      this.group(record.group).metadata = record.value;
      return;
    }
    const { group, topic, partition } = record.key;
    const g = this.group(group);
    if (record.value) {
      let partitions = g.offsets.get(topic);
      if (!partitions) {
        partitions = new Map();
        g.offsets.set(topic, partitions);
      }
      partitions.set(partition, record.value);
    } else {
      const partitions = g.offsets.get(topic);
      partitions?.delete(partition);
      if (partitions?.size === 0) g.offsets.delete(topic);
    }
  }

  /** Groups that still exist: with metadata (not a tombstone) or with offsets. */
  liveGroups(): [string, LoadedGroup][] {
    return [...this.groups].filter(([, g]) => (g.metadata !== null && g.metadata !== undefined) || g.offsets.size > 0);
  }
}

/**
 * Reads a partition of __consumer_offsets from its log start to its log end offset into `replay`,
 * as Kafka's GroupMetadataManager does: not only to the high watermark, which on a leader just
 * elected can still lag commits the previous coordinator acknowledged (every in-sync replica had
 * them, this one too); loading only to it turned those commits back and redelivered committed
 * messages. A leader's log is never truncated, so what it holds past its high watermark will count.
 * Yields to the event loop between chunks. Stops early (returning false) when `stillWanted` says
 * the load was abandoned (leadership moved while loading).
 */
export async function loadPartition(
  partition: Partition,
  replay: OffsetsReplay,
  stillWanted: () => boolean,
): Promise<boolean> {
  const end = partition.log.logEndOffset;
  let offset = partition.log.logStartOffset;
  while (offset < end) {
    if (!stillWanted()) return false;
    const { records } = partition.log.read(offset, LOAD_CHUNK_BYTES, end, true);
    const { batches } = decodeBatches(records);
    const from = offset;
    for (const batch of batches) {
      if (batch.magic !== 2) continue;
      offset = Number(batch.header.baseOffset) + batch.header.lastOffsetDelta + 1;
      const producerId = Number(batch.header.producerId);
      if (batch.header.isControl) {
        const marker = decodeRecords(batch)[0];
        const type = marker ? decodeControlRecordKey(marker.key).type : -1;
        if (type === ControlRecordType.COMMIT || type === ControlRecordType.ABORT)
          replay.completeTxn(producerId, type === ControlRecordType.COMMIT);
        continue;
      }
      for (const r of decodeRecords(batch)) {
        if (r.key === null) {
          replay.skipped++;
          continue;
        }
        let decoded: OffsetsTopicRecord | null = null;
        try {
          decoded = decodeOffsetsTopicRecord(r.key, r.value);
        } catch (e) {
          // One unreadable record must not cost every group of the partition: it is counted and skipped.
          if (!(e instanceof DecodeError)) throw e;
        }
        if (decoded && batch.header.isTransactional) replay.applyTransactional(producerId, decoded);
        else if (decoded) replay.apply(decoded);
        else replay.skipped++;
      }
    }
    // No v2 batch to move past (nothing read, or only pre-0.11 messages, which Kafka 4 refuses too).
    if (offset === from) break;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return stillWanted();
}

/** What an offset commit's append error becomes for the committer (GroupMetadataManager.storeOffsets). */
export function commitErrorFor(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return code;
  }
}

/** What a group metadata append error becomes for the members (GroupMetadataManager.storeGroup). */
export function groupStoreErrorFor(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.REBALANCE_IN_PROGRESS;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

/** The error code of a failed append: KafkaError's, else UNKNOWN_SERVER_ERROR. */
export function appendErrorCode(e: unknown): number {
  return e instanceof KafkaError ? e.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
}
