/**
 * The controller: validates metadata changes (create/delete topics, add partitions, alter configs,
 * register brokers, hand out producer ids) and turns each into metadata records, which it appends to
 * the metadata log. It never mutates the image itself: the image changes when the records come back
 * from the log, committed. On a single broker the log commits at once; with a quorum it commits when
 * a majority has it (issue 4).
 */
import { ErrorCode, KafkaError, randomUuid } from '@flotilla/protocol';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError, parseConfigValue, TOPIC_CONFIG_DEFS } from '../config/definitions.js';
import type { MetadataImage, TopicInfo } from './image.js';
import type { MetadataRecord } from './records.js';
import { assignReplicas } from './replica-placement.js';

/** Where controller records go; resolves once they are committed and applied to the image. */
export interface MetadataLog {
  append(records: readonly MetadataRecord[]): Promise<void>;
}

export interface CreateTopicRequest {
  readonly name: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  /** Explicit replica lists per partition (CreateTopics' Assignments); empty for automatic placement. */
  readonly assignments: readonly { partitionIndex: number; brokerIds: readonly number[] }[];
  readonly configs: readonly { name: string; value: string | null }[];
}

export interface TopicResult {
  readonly name: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly topicId?: string;
  readonly numPartitions?: number;
  readonly replicationFactor?: number;
}

const MAX_TOPIC_NAME = 249;
const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;
const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name);
}

/** Kafka's topic name rules (Topic.validate): 1-249 of [a-zA-Z0-9._-], not "." or "..". */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME)
    return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME} characters`;
  if (!LEGAL_TOPIC.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

function fail(code: number, message: string): never {
  throw new KafkaError(code, message);
}

/**
 * What the broker asks of the controller. `MetadataController` does it here; in a quorum, a broker that
 * is not the active controller reaches it through `ForwardingController` (raft/forwarding.ts), so
 * broker code calls the same methods wherever the active controller runs.
 */
export interface Controller {
  createTopics(requests: readonly CreateTopicRequest[], validateOnly: boolean): Promise<TopicResult[]>;
  deleteTopics(names: readonly string[]): Promise<TopicResult[]>;
  allocateProducerIds(brokerId: number, count: number): Promise<{ first: number; count: number }>;
  /** Validates against the local image and appends the records in one controller step. */
  commit(plan: () => readonly MetadataRecord[]): Promise<void>;
  planTopic(req: CreateTopicRequest, pending?: ReadonlySet<string>): { records: MetadataRecord[]; result: TopicResult };
  planPartitions(name: string, count: number, assignments: readonly (readonly number[])[] | null): MetadataRecord[];
  planTopicConfigs(
    topic: TopicInfo | undefined,
    name: string,
    set: ReadonlyMap<string, string | null>,
  ): MetadataRecord[];
  planBrokerConfigs(resourceName: string, set: ReadonlyMap<string, string | null>): MetadataRecord[];
  placeReplicas(partitions: number, replicationFactor: number, firstPartition: number): number[][];
}

export class MetadataController implements Controller {
  /** Controller operations run one at a time, like Kafka's controller event queue. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly image: MetadataImage,
    private readonly config: BrokerConfig,
    private readonly log: MetadataLog,
  ) {}

  private serialize<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Brokers that can take replicas: registered and not fenced, sorted by id. */
  private liveBrokers(): { id: number; rack: string | null }[] {
    return [...this.image.brokers.values()]
      .filter((b) => !b.fenced)
      .sort((a, b) => a.id - b.id)
      .map((b) => ({ id: b.id, rack: b.rack }));
  }

  private validateTopicConfigs(configs: readonly { name: string; value: string | null }[]): void {
    for (const c of configs) {
      const d = TOPIC_CONFIG_DEFS.get(c.name);
      if (!d) fail(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${c.name}`);
      if (c.value === null) continue;
      try {
        parseConfigValue(d, c.value);
      } catch (e) {
        if (e instanceof ConfigError) fail(ErrorCode.INVALID_CONFIG, e.message);
        throw e;
      }
    }
  }

  /**
   * Plans a new topic: validates it and returns the records that create it (without appending them),
   * so CreateTopics can validate a whole request (and honour validateOnly) before writing anything.
   */
  planTopic(
    req: CreateTopicRequest,
    pending: ReadonlySet<string> = new Set(),
  ): { records: MetadataRecord[]; result: TopicResult } {
    const problem = topicNameProblem(req.name);
    if (problem) fail(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
    if (this.image.topics.has(req.name) || pending.has(req.name)) {
      fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${req.name}' already exists.`);
    }
    const collides = [...this.image.topics.keys(), ...pending].find(
      (t) => t !== req.name && t.replace(/\./g, '_') === req.name.replace(/\./g, '_'),
    );
    if (collides) {
      fail(
        ErrorCode.INVALID_TOPIC_EXCEPTION,
        `Topic '${req.name}' collides with existing topic: ${collides} ('.' and '_' are equivalent in metric names)`,
      );
    }
    this.validateTopicConfigs(req.configs);
    let assignment: number[][];
    if (req.assignments.length > 0) {
      if (req.numPartitions !== -1 || req.replicationFactor !== -1) {
        fail(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set.');
      }
      assignment = this.checkAssignments(req.assignments);
    } else {
      const partitions = req.numPartitions === -1 ? this.config.int('num.partitions') : req.numPartitions;
      const rf = req.replicationFactor === -1 ? this.config.int('default.replication.factor') : req.replicationFactor;
      if (partitions <= 0) fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
      if (rf <= 0) fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
      assignment = this.placeReplicas(partitions, rf, 0);
    }
    const topicId = randomUuid();
    const records: MetadataRecord[] = [{ type: 'Topic', name: req.name, topicId }];
    assignment.forEach((replicas, partitionId) => {
      records.push({
        type: 'Partition',
        topicId,
        partitionId,
        replicas,
        isr: replicas,
        leader: replicas[0] as number,
        leaderEpoch: 0,
        partitionEpoch: 0,
      });
    });
    for (const c of req.configs) {
      if (c.value !== null)
        records.push({ type: 'Config', resourceType: 'topic', resourceName: req.name, name: c.name, value: c.value });
    }
    return {
      records,
      result: {
        name: req.name,
        errorCode: 0,
        errorMessage: null,
        topicId,
        numPartitions: assignment.length,
        replicationFactor: assignment[0]?.length ?? 0,
      },
    };
  }

  private checkAssignments(assignments: CreateTopicRequest['assignments']): number[][] {
    const live = new Set(this.liveBrokers().map((b) => b.id));
    const sorted = [...assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
    const out: number[][] = [];
    sorted.forEach((a, i) => {
      if (a.partitionIndex !== i)
        fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be numbered 0 to N-1 without gaps.');
      if (a.brokerIds.length === 0) fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Partition ${i} has no replicas.`);
      if (new Set(a.brokerIds).size !== a.brokerIds.length) {
        fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Partition ${i} lists a broker twice.`);
      }
      const unknown = a.brokerIds.find((b) => !live.has(b));
      if (unknown !== undefined) fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Broker ${unknown} is not a live broker.`);
      if (a.brokerIds.length !== sorted[0]?.brokerIds.length) {
        fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'All partitions should have the same number of replicas.');
      }
      out.push([...a.brokerIds]);
    });
    return out;
  }

  /**
   * Kafka's replica placement (AdminUtils.assignReplicasToBrokers), rack-aware when every live broker
   * has a broker.rack: see replica-placement.ts.
   */
  placeReplicas(partitions: number, replicationFactor: number, firstPartition: number): number[][] {
    return assignReplicas(this.liveBrokers(), partitions, replicationFactor, firstPartition);
  }

  createTopics(requests: readonly CreateTopicRequest[], validateOnly: boolean): Promise<TopicResult[]> {
    return this.serialize(async () => {
      const results: TopicResult[] = [];
      const records: MetadataRecord[] = [];
      const pending = new Set<string>();
      for (const req of requests) {
        try {
          const plan = this.planTopic(req, pending);
          pending.add(req.name);
          records.push(...plan.records);
          results.push(plan.result);
        } catch (e) {
          results.push(errorResult(req.name, e));
        }
      }
      if (!validateOnly && records.length > 0) await this.log.append(records);
      return results;
    });
  }

  deleteTopics(names: readonly string[]): Promise<TopicResult[]> {
    return this.serialize(async () => {
      const results: TopicResult[] = [];
      const records: MetadataRecord[] = [];
      for (const name of names) {
        const topic = this.image.topics.get(name);
        if (!topic)
          results.push({
            name,
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorMessage: 'This server does not host this topic.',
          });
        else if (!this.config.bool('delete.topic.enable')) {
          results.push({
            name,
            errorCode: ErrorCode.TOPIC_DELETION_DISABLED,
            errorMessage: 'Topic deletion is disabled.',
          });
        } else {
          records.push({ type: 'RemoveTopic', topicId: topic.id });
          results.push({ name, errorCode: 0, errorMessage: null, topicId: topic.id });
        }
      }
      if (records.length > 0) await this.log.append(records);
      return results;
    });
  }

  /** CreatePartitions: grows a topic to `count` partitions. */
  planPartitions(name: string, count: number, assignments: readonly (readonly number[])[] | null): MetadataRecord[] {
    const topic = this.image.topics.get(name);
    if (!topic) fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    const current = topic.partitions.length;
    if (count < current) {
      fail(
        ErrorCode.INVALID_PARTITIONS,
        `Topic currently has ${current} partitions, which is higher than the requested ${count}.`,
      );
    }
    if (count === current) fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
    const rf = topic.partitions[0]?.replicas.length ?? 1;
    let placed: number[][];
    if (assignments) {
      if (assignments.length !== count - current) {
        fail(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Increasing the number of partitions by ${count - current} but ${assignments.length} assignments provided.`,
        );
      }
      placed = this.checkAssignments(assignments.map((brokerIds, i) => ({ partitionIndex: i, brokerIds })));
    } else {
      placed = this.placeReplicas(count - current, rf, current);
    }
    return placed.map((replicas, i) => ({
      type: 'Partition',
      topicId: topic.id,
      partitionId: current + i,
      replicas,
      isr: replicas,
      leader: replicas[0] as number,
      leaderEpoch: 0,
      partitionEpoch: 0,
    }));
  }

  /** Validates topic config changes; `set` maps names to new values (null deletes the override). */
  planTopicConfigs(
    topic: TopicInfo | undefined,
    name: string,
    set: ReadonlyMap<string, string | null>,
  ): MetadataRecord[] {
    if (!topic) fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`);
    this.validateTopicConfigs([...set].map(([n, value]) => ({ name: n, value })));
    return [...set].map(([n, value]) => ({
      type: 'Config',
      resourceType: 'topic',
      resourceName: name,
      name: n,
      value,
    }));
  }

  /** Validates broker config changes (dynamic ones only); resourceName '' is the cluster default. */
  planBrokerConfigs(resourceName: string, set: ReadonlyMap<string, string | null>): MetadataRecord[] {
    if (
      resourceName !== '' &&
      Number(resourceName) !== this.config.nodeId &&
      !this.image.brokers.has(Number(resourceName))
    ) {
      fail(ErrorCode.INVALID_REQUEST, `Unknown broker ${resourceName}`);
    }
    for (const [n, value] of set) {
      const d = this.config.definition(n);
      if (!d) fail(ErrorCode.INVALID_CONFIG, `Unknown broker config ${n}`);
      if (d.updateMode === 'read-only')
        fail(ErrorCode.INVALID_CONFIG, `Cannot update these configs dynamically: Set(${n})`);
      if (value !== null) {
        try {
          parseConfigValue(d, value);
        } catch (e) {
          if (e instanceof ConfigError) fail(ErrorCode.INVALID_CONFIG, e.message);
          throw e;
        }
      }
    }
    return [...set].map(([n, value]) => ({ type: 'Config', resourceType: 'broker', resourceName, name: n, value }));
  }

  /**
   * Plans and commits in one step of the controller queue, so that what was validated is still true
   * when the records are written (CreatePartitions, AlterConfigs).
   */
  commit(plan: () => readonly MetadataRecord[]): Promise<void> {
    return this.serialize(async () => {
      const records = plan();
      if (records.length > 0) await this.log.append(records);
    });
  }

  /** Hands out a block of producer ids (AllocateProducerIds). */
  allocateProducerIds(brokerId: number, count: number): Promise<{ first: number; count: number }> {
    return this.serialize(async () => {
      const first = this.image.nextProducerId;
      await this.log.append([{ type: 'ProducerIds', brokerId, nextProducerId: first + count }]);
      return { first, count };
    });
  }
}

export function errorResult(name: string, e: unknown): TopicResult {
  if (e instanceof KafkaError)
    return { name, errorCode: e.errorCode, errorMessage: e.message.replace(/^[A-Z_]+: /, '') };
  throw e;
}
