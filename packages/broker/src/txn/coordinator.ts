/**
 * The transaction coordinator (KIP-98; Kafka's TransactionCoordinator and TransactionStateManager):
 * the transactional ids whose __transaction_state partition this broker leads.
 *
 * - InitProducerId gives a transactional id its producer id and a new epoch, which fences any older
 *   producer with the same id; an open transaction of the old producer is aborted first. A producer
 *   that sends its current id and epoch (KIP-360) gets the next epoch, or the same one when it retries
 *   a call whose answer it lost; an exhausted epoch rotates to a new producer id.
 * - AddPartitionsToTxn and AddOffsetsToTxn move the id to Ongoing and record the partitions (for
 *   offsets, the group's __consumer_offsets partition); EndTxn moves it to PrepareCommit or
 *   PrepareAbort, writes the markers to every partition, then to CompleteCommit or CompleteAbort.
 * - Every change is written to __transaction_state before it counts; on start, and when this broker
 *   comes to lead a partition, the partition is replayed, and transactions found half-ended (Prepare*)
 *   are completed.
 * - Transactions open longer than their timeout are aborted with a bumped epoch (fencing the
 *   producer), every transaction.abort.timed.out.transaction.cleanup.interval.ms; ids idle longer than
 *   transactional.id.expiration.ms are removed.
 *
 * Differs from Kafka: EndTxn is answered once the markers are written (Kafka answers after the
 * Prepare state is durable and writes markers in the background); markers that cannot be written at
 * once are retried in the background as in Kafka. An open transaction found by InitProducerId is
 * aborted within the same request rather than answered with CONCURRENT_TRANSACTIONS first.
 */
import { ErrorCode, KafkaError } from '@flotilla/protocol';
import type { BrokerConfig, Listener } from '../config/broker-config.js';
import type { CoordinatorAnswer } from '../group/coordinator.js';
import { offsetsPartitionFor } from '../group/hash.js';
import type { Logger } from '../logger.js';
import type { Controller } from '../metadata/controller.js';
import type { ImageChange, MetadataImage } from '../metadata/image.js';
import type { ProducerIdManager } from '../replica/producer-id-manager.js';
import type { ReplicaManager } from '../replica/replica-manager.js';
import type { TopicConfigs } from '../topic-configs.js';
import type { MarkerWriter } from './markers.js';
import { isEpochExhausted, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, TxnMetadata } from './metadata.js';
import { TRANSACTION_STATE_TOPIC, TXN_STATE_NAMES, TxnState, type TxnTopicPartitions } from './records.js';
import { loadTxnPartition, TxnStateStore, txnLogErrorFor } from './state-store.js';

export interface TransactionCoordinatorOptions {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly image: MetadataImage;
  readonly controller: Controller;
  readonly replicas: ReplicaManager;
  readonly topicConfigs: TopicConfigs;
  readonly producerIds: ProducerIdManager;
  readonly markers: MarkerWriter;
  readonly log: Logger;
  readonly now?: () => number;
}

export interface InitProducerIdResult {
  readonly errorCode: number;
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface PartitionError {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
}

/** What DescribeTransactions and tests see of a transactional id. */
export interface TxnDescription {
  readonly transactionalId: string;
  readonly state: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly timeoutMs: number;
  readonly startTimestamp: number;
  readonly partitions: readonly TxnTopicPartitions[];
}

const MARKER_RETRY_MS = 200;

function noCoordinator(errorCode: number, errorMessage: string): CoordinatorAnswer {
  return { errorCode, errorMessage, nodeId: -1, host: '', port: -1 };
}

class TxnError extends KafkaError {}

export class TransactionCoordinator {
  private readonly txns = new Map<string, TxnMetadata>();
  private readonly partitionStates = new Map<number, 'loading' | 'loaded'>();
  private readonly loads = new Map<number, Promise<void>>();
  /** Per transactional id, the tail of its queue of operations (Kafka holds the metadata's lock). */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly store: TxnStateStore;
  private readonly now: () => number;
  private readonly timers: NodeJS.Timeout[] = [];
  private creatingTopic: Promise<void> | undefined;
  private active = false;
  private closed = false;

  constructor(private readonly o: TransactionCoordinatorOptions) {
    this.store = new TxnStateStore(o.replicas, o.topicConfigs, () => o.config.int('request.timeout.ms'));
    this.now = o.now ?? Date.now;
  }

  async start(): Promise<void> {
    if (this.closed) return;
    this.active = true;
    this.syncLeadership();
    await Promise.all(this.loads.values());
    const abortEvery = this.o.config.int('transaction.abort.timed.out.transaction.cleanup.interval.ms');
    const expireEvery = this.o.config.int('transaction.remove.expired.transaction.cleanup.interval.ms');
    const every = (ms: number, task: () => Promise<unknown>, what: string) => {
      if (!(ms > 0)) return;
      const t = setInterval(() => {
        task().catch((e) => this.o.log.error(`${what} failed: ${(e as Error).stack ?? e}`));
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(abortEvery, () => this.abortTimedOutTransactions(), 'aborting timed out transactions');
    every(expireEvery, () => this.removeExpiredTransactionalIds(), 'removing expired transactional ids');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.active = false;
    for (const t of this.timers) clearInterval(t);
    await this.o.markers.close?.();
    this.loads.clear();
    this.partitionStates.clear();
    this.txns.clear();
  }

  onMetadataChange(change: ImageChange): void {
    switch (change.kind) {
      case 'topic-created':
      case 'partition-changed':
      case 'topic-deleted':
        if (change.topic.name === TRANSACTION_STATE_TOPIC) this.syncLeadership();
        break;
      default:
        break;
    }
  }

  private get partitionCount(): number {
    return (
      this.o.image.topics.get(TRANSACTION_STATE_TOPIC)?.partitions.length ||
      this.o.config.int('transaction.state.log.num.partitions')
    );
  }

  /** transaction.partition.verification.enable: whether Produce verifies transactional batches (KIP-890). */
  get verificationEnabled(): boolean {
    return this.o.config.bool('transaction.partition.verification.enable');
  }

  /** Kafka's TransactionStateManager.partitionFor: Utils.abs(transactionalId.hashCode) % partitions. */
  partitionFor(transactionalId: string): number {
    return offsetsPartitionFor(transactionalId, this.partitionCount);
  }

  private coordinatorEpoch(partition: number): number {
    return Math.max(0, this.o.replicas.get(TRANSACTION_STATE_TOPIC, partition)?.leaderEpoch ?? 0);
  }

  /** Why a request about this id cannot be served here, or NONE. */
  private statusOf(transactionalId: string): number {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const state = this.partitionStates.get(this.partitionFor(transactionalId));
    if (state === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (state !== 'loaded') return ErrorCode.NOT_COORDINATOR;
    return ErrorCode.NONE;
  }

  private syncLeadership(): void {
    if (this.closed) return;
    const led = new Set<number>();
    for (const p of this.o.image.topics.get(TRANSACTION_STATE_TOPIC)?.partitions ?? []) {
      if (p && p.leader === this.o.nodeId && this.o.replicas.get(TRANSACTION_STATE_TOPIC, p.partitionId)?.isLeader)
        led.add(p.partitionId);
    }
    for (const p of [...this.partitionStates.keys()]) if (!led.has(p)) this.unload(p);
    for (const p of led) if (!this.partitionStates.has(p)) this.startLoading(p);
  }

  private unload(partition: number): void {
    this.partitionStates.delete(partition);
    this.loads.delete(partition);
    let n = 0;
    for (const [id] of this.txns) {
      if (this.partitionFor(id) === partition) {
        this.txns.delete(id);
        n++;
      }
    }
    this.o.log.info(`unloaded ${TRANSACTION_STATE_TOPIC}-${partition}: ${n} transactional ids`);
  }

  private startLoading(partition: number): void {
    this.partitionStates.set(partition, 'loading');
    const done: Promise<void> = this.load(partition, () => this.loads.get(partition) === done)
      .catch((e) =>
        this.o.log.error(`loading ${TRANSACTION_STATE_TOPIC}-${partition} failed: ${(e as Error).stack ?? e}`),
      )
      .finally(() => {
        if (this.loads.get(partition) === done) this.loads.delete(partition);
      });
    this.loads.set(partition, done);
  }

  private async load(partition: number, current: () => boolean): Promise<void> {
    const started = this.now();
    const p = this.o.replicas.get(TRANSACTION_STATE_TOPIC, partition);
    const wanted = () => current() && this.partitionStates.get(partition) === 'loading';
    await Promise.resolve(); // let startLoading register this load first
    const loaded = p ? await loadTxnPartition(p, wanted) : { values: new Map(), skipped: 0 };
    if (!loaded) return;
    const toComplete: TxnMetadata[] = [];
    let count = 0;
    for (const [id, value] of loaded.values) {
      if (!value || value.state === TxnState.Dead) continue;
      const meta = TxnMetadata.fromValue(id, value);
      this.txns.set(id, meta);
      count++;
      if (meta.state === TxnState.PrepareCommit || meta.state === TxnState.PrepareAbort) toComplete.push(meta);
    }
    this.partitionStates.set(partition, 'loaded');
    this.o.log.info(
      `finished loading ${TRANSACTION_STATE_TOPIC}-${partition} in ${this.now() - started} ms: ${count} transactional ids` +
        (toComplete.length > 0 ? `, completing ${toComplete.length} transactions` : ''),
    );
    // Transactions that were ending when the previous coordinator stopped: write their markers again.
    for (const meta of toComplete) {
      this.completeInBackground(meta, meta.state === TxnState.PrepareCommit);
    }
  }

  /** FindCoordinator for a transactional id: the leader of its __transaction_state partition. */
  async findCoordinator(
    transactionalId: string,
    listenerName: string,
    self: Listener | undefined,
  ): Promise<CoordinatorAnswer> {
    if (!this.active) return noCoordinator(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not active.');
    const created = await this.ensureTopic();
    const topic = this.o.image.topics.get(TRANSACTION_STATE_TOPIC);
    if (!topic)
      return noCoordinator(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${TRANSACTION_STATE_TOPIC} could not be created.`);
    const partition = this.partitionFor(transactionalId);
    const leader = topic.partitions[partition]?.leader ?? -1;
    if (leader === this.o.nodeId) {
      if (created) await this.loads.get(partition);
      if (this.partitionStates.get(partition) !== 'loaded')
        return noCoordinator(
          ErrorCode.COORDINATOR_NOT_AVAILABLE,
          `${TRANSACTION_STATE_TOPIC}-${partition} is loading.`,
        );
      if (!self) return noCoordinator(ErrorCode.COORDINATOR_NOT_AVAILABLE, `No endpoint for listener ${listenerName}.`);
      return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: this.o.nodeId, host: self.host, port: self.port };
    }
    const broker = leader >= 0 ? this.o.image.brokers.get(leader) : undefined;
    const endpoint = broker && !broker.fenced ? broker.endpoints.find((e) => e.name === listenerName) : undefined;
    if (!endpoint)
      return noCoordinator(
        ErrorCode.COORDINATOR_NOT_AVAILABLE,
        `${TRANSACTION_STATE_TOPIC}-${partition} has no live leader.`,
      );
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: leader, host: endpoint.host, port: endpoint.port };
  }

  private async ensureTopic(): Promise<boolean> {
    if (this.o.image.topics.has(TRANSACTION_STATE_TOPIC)) return false;
    this.creatingTopic ??= this.createTopic().finally(() => {
      this.creatingTopic = undefined;
    });
    await this.creatingTopic;
    return true;
  }

  private async createTopic(): Promise<void> {
    const { config, image, controller } = this.o;
    const live = [...image.brokers.values()].filter((b) => !b.fenced).length;
    const replicationFactor = Math.max(1, Math.min(config.int('transaction.state.log.replication.factor'), live));
    const minIsr = Math.max(1, Math.min(config.int('transaction.state.log.min.isr'), replicationFactor));
    const [result] = await controller.createTopics(
      [
        {
          name: TRANSACTION_STATE_TOPIC,
          numPartitions: config.int('transaction.state.log.num.partitions'),
          replicationFactor,
          assignments: [],
          configs: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'min.insync.replicas', value: String(minIsr) },
            { name: 'segment.bytes', value: String(config.int('transaction.state.log.segment.bytes')) },
            { name: 'unclean.leader.election.enable', value: 'false' },
            { name: 'compression.type', value: 'uncompressed' },
          ],
        },
      ],
      false,
    );
    if (result && result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      this.o.log.warn(
        `could not create ${TRANSACTION_STATE_TOPIC}: error ${result.errorCode} ${result.errorMessage ?? ''}`,
      );
    } else {
      this.o.log.info(`created ${TRANSACTION_STATE_TOPIC} with replication factor ${replicationFactor}`);
    }
  }

  /** Runs `fn` after every earlier operation on the same transactional id. */
  private serialize<T>(transactionalId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(transactionalId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.queues.set(transactionalId, tail);
    void tail.then(() => {
      if (this.queues.get(transactionalId) === tail) this.queues.delete(transactionalId);
    });
    return run;
  }

  /**
   * Writes `meta` moved to `value`'s state; applies it once the ISR of its partition has it (the
   * metadata is pending meanwhile). Throws TxnError on failure, leaving `meta` as it was.
   */
  private async persist(meta: TxnMetadata, changes: Parameters<TxnMetadata['toValue']>[0]): Promise<void> {
    const value = meta.toValue({ ...changes, lastUpdateTimestamp: this.now() });
    meta.pending = true;
    try {
      await this.store.append(this.partitionFor(meta.transactionalId), meta.transactionalId, value, this.now());
    } catch (e) {
      const code = txnLogErrorFor(e);
      this.o.log.warn(
        `writing transaction state ${TXN_STATE_NAMES[value.state]} of ${meta.transactionalId} failed: ${(e as Error).message}`,
      );
      throw new TxnError(code, (e as Error).message);
    } finally {
      meta.pending = false;
    }
    meta.apply(value);
  }

  private validateTimeout(timeoutMs: number): boolean {
    return timeoutMs > 0 && timeoutMs <= this.o.config.int('transaction.max.timeout.ms');
  }

  /** InitProducerId with a transactional id (TransactionCoordinator.handleInitProducerId). */
  initProducerId(
    transactionalId: string,
    timeoutMs: number,
    expectedProducerId: number,
    expectedEpoch: number,
  ): Promise<InitProducerIdResult> {
    const fail = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: -1, producerEpoch: -1 });
    if (transactionalId === '') return Promise.resolve(fail(ErrorCode.INVALID_REQUEST));
    if (!this.validateTimeout(timeoutMs)) return Promise.resolve(fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT));
    const status = this.statusOf(transactionalId);
    if (status !== ErrorCode.NONE) return Promise.resolve(fail(status));
    return this.serialize(transactionalId, async () => {
      const status = this.statusOf(transactionalId);
      if (status !== ErrorCode.NONE) return fail(status);
      try {
        let meta = this.txns.get(transactionalId);
        if (!meta) {
          const id = await this.o.producerIds.nextProducerId();
          meta = new TxnMetadata(transactionalId, id, NO_PRODUCER_EPOCH, timeoutMs, TxnState.Empty, this.now());
          this.txns.set(transactionalId, meta);
        }
        const expected = expectedProducerId >= 0 ? { id: expectedProducerId, epoch: expectedEpoch } : null;
        if (meta.pending) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
        if (expected && !this.isValidProducerId(meta, expected.id, expected.epoch))
          return fail(ErrorCode.PRODUCER_FENCED);
        if (meta.state === TxnState.Ongoing) {
          // A new producer instance: the old one's open transaction is aborted, its epoch fenced.
          await this.abortWithFencing(meta);
        }
        if (meta.state === TxnState.PrepareAbort || meta.state === TxnState.PrepareCommit)
          return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
        if (meta.state === TxnState.Dead || meta.state === TxnState.PrepareEpochFence)
          return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
        let producerId = meta.producerId;
        let epoch: number;
        let lastEpoch: number;
        if (isEpochExhausted(meta.producerEpoch) || isEpochExhausted(meta.producerEpoch + 1)) {
          // KIP-360: a new producer id once the epoch cannot grow.
          meta.lastProducerId = meta.producerId;
          producerId = await this.o.producerIds.nextProducerId();
          epoch = 0;
          lastEpoch = NO_PRODUCER_EPOCH;
        } else if (!expected || meta.producerEpoch === NO_PRODUCER_EPOCH || expected.epoch === meta.producerEpoch) {
          epoch = meta.producerEpoch + 1;
          lastEpoch = expected ? meta.producerEpoch : NO_PRODUCER_EPOCH;
        } else if (expected.epoch === meta.lastProducerEpoch) {
          // A retry of a bump whose answer the producer lost: the same epoch again.
          epoch = meta.producerEpoch;
          lastEpoch = meta.lastProducerEpoch;
        } else {
          return fail(ErrorCode.PRODUCER_FENCED);
        }
        await this.persist(meta, {
          producerId,
          producerEpoch: epoch,
          timeoutMs,
          state: TxnState.Empty,
          partitions: [],
          startTimestamp: -1,
        });
        meta.lastProducerEpoch = lastEpoch;
        return { errorCode: ErrorCode.NONE, producerId: meta.producerId, producerEpoch: meta.producerEpoch };
      } catch (e) {
        if (e instanceof KafkaError) return fail(e.errorCode);
        throw e;
      }
    });
  }

  /** TransactionCoordinator.isValidProducerId. */
  private isValidProducerId(meta: TxnMetadata, producerId: number, epoch: number): boolean {
    return (
      meta.producerEpoch === NO_PRODUCER_EPOCH ||
      producerId === meta.producerId ||
      (producerId === meta.lastProducerId && isEpochExhausted(epoch))
    );
  }

  /** Common checks of AddPartitions, AddOffsets and EndTxn: the id, the producer id and epoch. */
  private checkProducer(transactionalId: string, producerId: number, epoch: number): TxnMetadata {
    const status = this.statusOf(transactionalId);
    if (status !== ErrorCode.NONE) throw new TxnError(status);
    const meta = this.txns.get(transactionalId);
    if (!meta || meta.producerId !== producerId)
      throw new TxnError(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `${transactionalId} is not producer ${producerId}`);
    if (meta.producerEpoch !== epoch)
      throw new TxnError(
        ErrorCode.PRODUCER_FENCED,
        `epoch ${epoch} of ${transactionalId} is not the current epoch ${meta.producerEpoch}`,
      );
    if (meta.pending) throw new TxnError(ErrorCode.CONCURRENT_TRANSACTIONS);
    return meta;
  }

  /**
   * AddPartitionsToTxn (and AddOffsetsToTxn, through the group's offsets partition). With
   * `verifyOnly` (v4+, KIP-890) nothing is added: each partition is answered NONE when it is in the
   * transaction, else INVALID_TXN_STATE.
   */
  addPartitions(
    transactionalId: string,
    producerId: number,
    epoch: number,
    partitions: readonly TxnTopicPartitions[],
    verifyOnly = false,
  ): Promise<PartitionError[]> {
    const all = (errorCode: number) =>
      partitions.flatMap((tp) => tp.partitions.map((partition) => ({ topic: tp.topic, partition, errorCode })));
    if (transactionalId === '') return Promise.resolve(all(ErrorCode.INVALID_REQUEST));
    return this.serialize(transactionalId, async () => {
      try {
        const meta = this.checkProducer(transactionalId, producerId, epoch);
        if (verifyOnly) {
          return partitions.flatMap((tp) =>
            tp.partitions.map((partition) => ({
              topic: tp.topic,
              partition,
              errorCode:
                meta.state === TxnState.Ongoing && meta.partitions.get(tp.topic)?.has(partition)
                  ? ErrorCode.NONE
                  : ErrorCode.INVALID_TXN_STATE,
            })),
          );
        }
        if (meta.state === TxnState.PrepareCommit || meta.state === TxnState.PrepareAbort)
          return all(ErrorCode.CONCURRENT_TRANSACTIONS);
        if (meta.state === TxnState.Ongoing && meta.hasAll(partitions)) return all(ErrorCode.NONE);
        if (!meta.canTransitionTo(TxnState.Ongoing)) return all(ErrorCode.INVALID_TXN_STATE);
        const merged = new Map(meta.partitions);
        for (const tp of partitions) merged.set(tp.topic, new Set([...(merged.get(tp.topic) ?? []), ...tp.partitions]));
        const starting = meta.state !== TxnState.Ongoing;
        await this.persist(meta, {
          state: TxnState.Ongoing,
          partitions: [...merged].map(([topic, ps]) => ({ topic, partitions: [...ps] })),
          startTimestamp: starting ? this.now() : meta.startTimestamp,
        });
        return all(ErrorCode.NONE);
      } catch (e) {
        if (e instanceof KafkaError) return all(e.errorCode);
        throw e;
      }
    });
  }

  /** EndTxn from the client (TransactionCoordinator.handleEndTransaction). */
  endTransaction(transactionalId: string, producerId: number, epoch: number, commit: boolean): Promise<number> {
    if (transactionalId === '') return Promise.resolve(ErrorCode.INVALID_REQUEST);
    return this.serialize(transactionalId, async () => {
      try {
        const meta = this.checkProducer(transactionalId, producerId, epoch);
        switch (meta.state) {
          case TxnState.Ongoing:
            break;
          case TxnState.CompleteCommit:
            return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE; // a retried commit
          case TxnState.CompleteAbort:
            return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
          case TxnState.PrepareCommit:
            return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
          case TxnState.PrepareAbort:
            return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
          default:
            return ErrorCode.INVALID_TXN_STATE;
        }
        await this.persist(meta, { state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort });
        await this.writeMarkersAndComplete(meta, commit, true);
        return ErrorCode.NONE;
      } catch (e) {
        if (e instanceof KafkaError) return e.errorCode;
        throw e;
      }
    });
  }

  /**
   * Aborts an open transaction with the epoch bumped (prepareFenceProducerEpoch): the producer that
   * owned it can no longer write, end or add to it. Used on timeout and by a new producer instance.
   */
  private async abortWithFencing(meta: TxnMetadata): Promise<void> {
    const epoch = isEpochExhausted(meta.producerEpoch) ? meta.producerEpoch : meta.producerEpoch + 1;
    await this.persist(meta, { state: TxnState.PrepareAbort, producerEpoch: epoch });
    meta.lastProducerEpoch = NO_PRODUCER_EPOCH;
    await this.writeMarkersAndComplete(meta, false, true);
  }

  /**
   * Writes the markers of a transaction in Prepare* and then its Complete* state. Partitions whose
   * marker failed with a retriable error are retried in the background (the id stays in Prepare*, so
   * its producer gets CONCURRENT_TRANSACTIONS meanwhile); deleted partitions are skipped, as in Kafka.
   */
  private async writeMarkersAndComplete(meta: TxnMetadata, commit: boolean, firstTry: boolean): Promise<boolean> {
    const partition = this.partitionFor(meta.transactionalId);
    const results = await this.o.markers.write({
      producerId: meta.producerId,
      producerEpoch: meta.producerEpoch,
      coordinatorEpoch: this.coordinatorEpoch(partition),
      commit,
      partitions: meta.partitionList,
    });
    const failed = results.filter(
      (r) => r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
    if (failed.length > 0) {
      const remaining = new Map<string, Set<number>>();
      for (const f of failed) remaining.set(f.topic, new Set([...(remaining.get(f.topic) ?? []), f.partition]));
      meta.partitions = remaining;
      this.o.log.warn(
        `markers of ${meta.transactionalId} failed for ${failed.map((f) => `${f.topic}-${f.partition} (error ${f.errorCode})`).join(', ')}; retrying`,
      );
      if (firstTry) this.completeInBackground(meta, commit);
      return false;
    }
    await this.persist(meta, {
      state: commit ? TxnState.CompleteCommit : TxnState.CompleteAbort,
      partitions: [],
    });
    return true;
  }

  /** Retries the markers of a transaction in Prepare* until they are written (or the id moves away). */
  private completeInBackground(meta: TxnMetadata, commit: boolean): void {
    const attempt = () => {
      if (this.closed || this.txns.get(meta.transactionalId) !== meta) return;
      void this.serialize(meta.transactionalId, async () => {
        const preparing = commit ? TxnState.PrepareCommit : TxnState.PrepareAbort;
        if (meta.state !== preparing || this.txns.get(meta.transactionalId) !== meta) return true;
        return this.writeMarkersAndComplete(meta, commit, false);
      })
        .then((done) => {
          if (!done) setTimeout(attempt, MARKER_RETRY_MS).unref();
        })
        .catch((e) => {
          this.o.log.warn(`completing ${meta.transactionalId} failed: ${(e as Error).message}; retrying`);
          setTimeout(attempt, MARKER_RETRY_MS).unref();
        });
    };
    attempt();
  }

  /** Aborts transactions open longer than their timeout (abortTimedOutTransactions). */
  async abortTimedOutTransactions(now = this.now()): Promise<number> {
    let aborted = 0;
    for (const meta of [...this.txns.values()]) {
      if (meta.state !== TxnState.Ongoing || meta.pending) continue;
      if (meta.startTimestamp + meta.timeoutMs >= now) continue;
      if (this.statusOf(meta.transactionalId) !== ErrorCode.NONE) continue;
      const done = await this.serialize(meta.transactionalId, async () => {
        if (meta.state !== TxnState.Ongoing || this.txns.get(meta.transactionalId) !== meta) return false;
        this.o.log.info(
          `aborting transaction of ${meta.transactionalId} (producer ${meta.producerId}, epoch ${meta.producerEpoch}): open for more than ${meta.timeoutMs} ms`,
        );
        await this.abortWithFencing(meta);
        return true;
      }).catch((e: unknown) => {
        this.o.log.warn(
          `aborting the timed out transaction of ${meta.transactionalId} failed: ${(e as Error).message}`,
        );
        return false;
      });
      if (done) aborted++;
    }
    return aborted;
  }

  /** Removes ids idle longer than transactional.id.expiration.ms (a tombstone in the log). */
  async removeExpiredTransactionalIds(now = this.now()): Promise<number> {
    const expirationMs = this.o.config.int('transactional.id.expiration.ms');
    let removed = 0;
    for (const meta of [...this.txns.values()]) {
      const idle =
        meta.state === TxnState.Empty ||
        meta.state === TxnState.CompleteCommit ||
        meta.state === TxnState.CompleteAbort;
      if (!idle || meta.pending || meta.lastUpdateTimestamp + expirationMs > now) continue;
      if (this.statusOf(meta.transactionalId) !== ErrorCode.NONE) continue;
      await this.serialize(meta.transactionalId, async () => {
        if (this.txns.get(meta.transactionalId) !== meta || meta.pending) return;
        try {
          await this.store.append(this.partitionFor(meta.transactionalId), meta.transactionalId, null, now);
          this.txns.delete(meta.transactionalId);
          meta.state = TxnState.Dead;
          removed++;
        } catch (e) {
          this.o.log.warn(`expiring transactional id ${meta.transactionalId} failed: ${(e as Error).message}`);
        }
      });
    }
    if (removed > 0) this.o.log.info(`removed ${removed} expired transactional ids`);
    return removed;
  }

  /** The state of transactional ids this broker coordinates (DescribeTransactions, tests). */
  describe(transactionalId: string): TxnDescription | null {
    const meta = this.txns.get(transactionalId);
    if (!meta) return null;
    return {
      transactionalId,
      state: TXN_STATE_NAMES[meta.state],
      producerId: meta.producerId,
      producerEpoch: meta.producerEpoch,
      timeoutMs: meta.timeoutMs,
      startTimestamp: meta.startTimestamp,
      partitions: meta.partitionList,
    };
  }

  /** DescribeTransactions for one id: NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, TRANSACTIONAL_ID_NOT_FOUND or the state. */
  describeTransaction(transactionalId: string): { errorCode: number; description: TxnDescription | null } {
    const status = this.statusOf(transactionalId);
    if (status !== ErrorCode.NONE) return { errorCode: status, description: null };
    const description = this.describe(transactionalId);
    return { errorCode: description ? ErrorCode.NONE : ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, description };
  }

  /**
   * The ids this broker coordinates, with their state (ListTransactions); `loading` is true while a
   * partition is still being loaded (the answer is then COORDINATOR_LOAD_IN_PROGRESS, as in Kafka).
   */
  list(): {
    loading: boolean;
    transactions: { transactionalId: string; producerId: number; state: string; startTimestamp: number }[];
  } {
    return {
      loading: [...this.partitionStates.values()].includes('loading'),
      transactions: [...this.txns.values()].map((m) => ({
        transactionalId: m.transactionalId,
        producerId: m.producerId,
        state: TXN_STATE_NAMES[m.state],
        startTimestamp: m.startTimestamp,
      })),
    };
  }
}

export { NO_PRODUCER_ID };
