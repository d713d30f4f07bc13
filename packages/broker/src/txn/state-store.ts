/**
 * Where transaction state is made durable: the transactional id's partition of __transaction_state,
 * one record per state change (key: the id, value: the state; a null value when the id expired).
 * Writes go through the partition as leader, like a producer's with acks=all, and count only once the
 * partition's ISR holds them (TransactionStateManager.appendTransactionToLog appends with acks=-1), so a
 * state the coordinator acted on survives the loss of the coordinator's broker. Loading reads the
 * partition from its log start to its high watermark and keeps the last value of each id, which is
 * also what log compaction keeps (the topic is compacted).
 */
import { DecodeError, decodeBatches, decodeRecords, ErrorCode, encodeBatch, KafkaError } from '@flotilla/protocol';
import type { Partition } from '../replica/partition.js';
import type { ReplicaManager } from '../replica/replica-manager.js';
import type { TopicConfigs } from '../topic-configs.js';
import {
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
  TRANSACTION_STATE_TOPIC,
  type TransactionLogValue,
} from './records.js';

const LOAD_CHUNK_BYTES = 5 * 1024 * 1024;

export class TxnStateStore {
  constructor(
    private readonly replicas: ReplicaManager,
    private readonly topicConfigs: TopicConfigs,
    /** How long a state change waits for the ISR (request.timeout.ms, as Kafka's coordinator). */
    private readonly replicationTimeoutMs: () => number = () => 30000,
  ) {}

  /**
   * Appends one state change and waits until the ISR has it; rejects with a KafkaError when the
   * partition cannot take it or the ISR did not replicate it in time.
   */
  async append(
    partition: number,
    transactionalId: string,
    value: TransactionLogValue | null,
    now = Date.now(),
  ): Promise<void> {
    const p = this.replicas.get(TRANSACTION_STATE_TOPIC, partition);
    if (!p?.isLeader) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `this broker does not lead ${TRANSACTION_STATE_TOPIC}-${partition}`,
      );
    }
    const batch = encodeBatch({
      baseTimestamp: BigInt(now),
      records: [
        {
          attributes: 0,
          timestampDelta: 0,
          offsetDelta: 0,
          key: encodeTransactionLogKey(transactionalId),
          value: value && encodeTransactionLogValue(value),
          headers: [],
        },
      ],
    });
    const config = this.topicConfigs.logConfig(TRANSACTION_STATE_TOPIC);
    const minInsync = this.topicConfigs.minInsyncReplicas(TRANSACTION_STATE_TOPIC);
    const appended = p.appendAsLeader(batch, -1, config.maxMessageBytes, minInsync);
    const code = await this.replicas.awaitReplication(
      p,
      appended.lastOffset + 1,
      minInsync,
      this.replicationTimeoutMs(),
    );
    if (code !== ErrorCode.NONE) {
      throw new KafkaError(code, `${TRANSACTION_STATE_TOPIC}-${partition} did not replicate the state to its ISR`);
    }
  }
}

/** What an append error becomes for the client (TransactionStateManager.appendTransactionToLog). */
export function txnLogErrorFor(e: unknown): number {
  const code = e instanceof KafkaError ? e.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

/**
 * Reads a partition of __transaction_state into the last value per transactional id (null: expired),
 * up to its log end offset as Kafka's TransactionStateManager does (a leader just elected may have a
 * high watermark behind transitions the previous coordinator acknowledged), yielding to the event
 * loop between chunks; null when the load was abandoned.
 */
export async function loadTxnPartition(
  partition: Partition,
  stillWanted: () => boolean,
): Promise<{ values: Map<string, TransactionLogValue | null>; skipped: number } | null> {
  const values = new Map<string, TransactionLogValue | null>();
  let skipped = 0;
  const end = partition.log.logEndOffset;
  let offset = partition.log.logStartOffset;
  while (offset < end) {
    if (!stillWanted()) return null;
    const { records } = partition.log.read(offset, LOAD_CHUNK_BYTES, end, true);
    const from = offset;
    for (const batch of decodeBatches(records).batches) {
      if (batch.magic !== 2) continue;
      offset = Number(batch.header.baseOffset) + batch.header.lastOffsetDelta + 1;
      if (batch.header.isControl) continue;
      for (const r of decodeRecords(batch)) {
        try {
          const id = r.key && decodeTransactionLogKey(r.key);
          if (id === null || id === undefined) {
            skipped++;
            continue;
          }
          values.set(id, r.value && decodeTransactionLogValue(r.value));
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
          skipped++;
        }
      }
    }
    if (offset === from) break;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return stillWanted() ? { values, skipped } : null;
}
