/**
 * Self-healing (issue 7): a loop in the worker that notices a broker whose container/process died or
 * was removed and brings it back with the same node id, ports and volume (runtime replaceBroker), so
 * it rejoins with its log and only catches up what it missed.
 *
 * Only ACTIVE clusters are healed: during an operation (UPDATING, REBOOTING_BROKER, ...) brokers are
 * stopped on purpose and the operation's own waits bring them back. A healed cluster is HEALING, with
 * the broker named in its stateInfo, until every broker runs and no partition is under-replicated,
 * then ACTIVE again. The move to HEALING is conditional on the cluster still being ACTIVE, so an API
 * update accepted at the same moment wins and the monitor leaves that cluster alone.
 *
 * The broker is rebuilt from its spec in the catalog (Broker.spec, broker-spec.ts), which every job that
 * creates or changes a broker records: a broker whose container was removed comes back as it ran, with
 * the read-only keys of a later configuration, and a broker added by a scale-out comes back at all.
 * Brokers whose rows predate that column get the runtime's spec recorded on the first pass that finds
 * it (a stopped or exited broker keeps it); one removed before that is rebuilt from the cluster's create
 * plan with the cluster's current version, broker type and storage.
 */
import { type Catalog, Prisma, type SecretBox } from '@flotilla/db';
import {
  type BrokerRef,
  type BrokerSpec,
  type BrokerStatus,
  brokerType,
  hostCapacity,
  type RuntimeDriver,
  replaceBroker,
  resolveKafkaVersion,
  scaleLimits,
} from '@flotilla/runtime';
import { clusterEndpoint } from '../kafka/cluster-endpoint.js';
import { currentBrokerSpec, specColumn } from './broker-spec.js';
import { openSpecSecrets } from './cluster-security.js';
import type { JobLogger } from './context.js';
import { notBackYet } from './rolling-restart.js';

const DOWN_STATES = new Set(['exited', 'dead', 'missing', 'created']);

export interface HealMonitorOptions {
  readonly catalog: Catalog;
  readonly driver: RuntimeDriver;
  readonly log: JobLogger;
  /** Opens sealed catalog columns (secured clusters' control-plane credential, sealed plan keys). */
  readonly box?: SecretBox;
  /** Time between checks. Default 5 s. */
  readonly intervalMs?: number;
  /**
   * How long after bringing a broker back its old registration may still be what the cluster shows
   * (the controller fences a dead broker only when its session times out): the cluster is not called
   * healed before. Default 10 s.
   */
  readonly settleMs?: number;
}

export interface HealAction {
  readonly clusterId: string;
  readonly action: 'replaced' | 'recovered';
  readonly nodeIds: number[];
}

export class HealMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private closing: Promise<void> | undefined;
  /** Brokers being replaced now, so a slow replacement is not started twice. */
  private readonly inFlight = new Set<string>();
  /** When each cluster last had a broker brought back. */
  private readonly replacedAt = new Map<string, number>();

  constructor(private readonly options: HealMonitorOptions) {}

  start(): void {
    const tick = () => {
      this.running = this.checkOnce()
        .catch((error: unknown) => this.options.log.warn('heal check failed', { error: String(error) }))
        .finally(() => {
          if (!this.closing) this.timer = setTimeout(tick, this.options.intervalMs ?? 5_000);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** One pass over the clusters on this runtime: replace dead brokers, finish healed clusters. */
  async checkOnce(): Promise<HealAction[]> {
    const { catalog, driver } = this.options;
    const actions: HealAction[] = [];
    const candidates = await catalog.cluster.findMany({
      where: { state: { in: ['ACTIVE', 'HEALING'] }, runtime: driver.kind },
      include: { brokers: true },
    });
    for (const cluster of candidates) {
      const dead: number[] = [];
      const seen = new Map<number, BrokerStatus>();
      for (const broker of cluster.brokers) {
        if (broker.spec === null) await this.adoptRuntimeSpec({ clusterId: cluster.id, nodeId: broker.nodeId });
        const status = await driver.inspectBroker({ clusterId: cluster.id, nodeId: broker.nodeId });
        if (DOWN_STATES.has(status.state)) {
          dead.push(broker.nodeId);
          seen.set(broker.nodeId, status);
        }
      }
      if (dead.length > 0) {
        const message = `broker(s) ${dead.join(', ')} stopped running and are being brought back`;
        if (cluster.state === 'ACTIVE') {
          const { count } = await catalog.cluster.updateMany({
            where: { id: cluster.id, state: 'ACTIVE', currentVersion: cluster.currentVersion },
            data: { state: 'HEALING', stateCode: 'BROKER_REPLACED', stateMessage: message },
          });
          if (count === 0) continue;
        }
        for (const nodeId of dead) {
          const key = `${cluster.id}/${nodeId}`;
          if (this.inFlight.has(key)) continue;
          this.inFlight.add(key);
          try {
            const spec = await this.specFor(cluster, nodeId);
            // What the runtime says of the dead broker, and its last words: why it stopped is the first
            // thing an operator asks (a crash, an OOM kill, a `docker kill`, a removed container).
            const status = seen.get(nodeId);
            const lastLog = await driver.logs({ clusterId: cluster.id, nodeId }, { tail: 20 }).catch(() => '');
            this.options.log.warn('replacing dead broker', {
              cluster: cluster.name,
              nodeId,
              state: status?.state,
              exitCode: status?.exitCode,
              restartCount: status?.restartCount,
              finishedAt: status?.finishedAt?.toISOString(),
              ...(lastLog.trim() ? { lastLog: lastLog.trim().split('\n').slice(-20) } : {}),
            });
            const replaced = await replaceBroker(driver, spec, { stopTimeoutMs: 10_000 });
            await catalog.broker.updateMany({
              where: { clusterId: cluster.id, nodeId },
              data: { containerId: replaced.id, state: 'STARTING', spec: specColumn(spec, this.options.box) },
            });
          } finally {
            this.inFlight.delete(key);
          }
        }
        this.replacedAt.set(cluster.id, Date.now());
        actions.push({ clusterId: cluster.id, action: 'replaced', nodeIds: dead });
        continue;
      }
      const settled = Date.now() - (this.replacedAt.get(cluster.id) ?? 0) >= (this.options.settleMs ?? 10_000);
      const endpoint = cluster.state === 'HEALING' && settled ? clusterEndpoint(cluster, this.options.box) : null;
      if (endpoint) {
        // Healed: every broker registered again and every partition's ISR complete.
        const waiting = await notBackYet(
          endpoint,
          cluster.brokers.map((b) => b.nodeId),
        );
        if (waiting === null) {
          await catalog.$transaction(async (tx) => {
            await tx.broker.updateMany({ where: { clusterId: cluster.id }, data: { state: 'RUNNING' } });
            await tx.cluster.updateMany({
              where: { id: cluster.id, state: 'HEALING' },
              data: { state: 'ACTIVE', stateCode: null, stateMessage: null },
            });
          });
          this.options.log.info('cluster healed', { cluster: cluster.name });
          actions.push({ clusterId: cluster.id, action: 'recovered', nodeIds: [] });
        }
      }
    }
    return actions;
  }

  /** Records the runtime's spec of a broker whose row predates Broker.spec, while the runtime has one. */
  private async adoptRuntimeSpec(ref: BrokerRef): Promise<void> {
    const running = await this.options.driver.brokerSpec(ref);
    if (!running) return;
    await this.options.catalog.broker.updateMany({
      where: { clusterId: ref.clusterId, nodeId: ref.nodeId, spec: { equals: Prisma.DbNull } },
      data: { spec: specColumn(running, this.options.box) },
    });
  }

  /** The catalog's spec, else the runtime's (rows from before Broker.spec), else the create plan's. */
  private async specFor(
    cluster: { id: string; kafkaVersion: string; instanceType: string; volumeSizeGiB: number },
    nodeId: number,
  ): Promise<BrokerSpec> {
    const known = await currentBrokerSpec(this.options, { clusterId: cluster.id, nodeId });
    if (known) return known;
    const plan = await this.options.catalog.operationStep.findFirst({
      where: { name: 'plan', status: 'COMPLETE', operation: { clusterId: cluster.id, operationType: 'CREATE' } },
    });
    const recorded = ((plan?.detail ?? {}) as { brokers?: BrokerSpec[] }).brokers?.find((b) => b.nodeId === nodeId);
    if (!recorded) throw new Error(`no spec for broker ${nodeId} of cluster ${cluster.id}`);
    // The create plan records broker keys sealed (cluster-security.ts).
    const planned = openSpecSecrets(recorded, this.options.box);
    const version = resolveKafkaVersion(cluster.kafkaVersion);
    return {
      ...planned,
      image: version.image,
      kafkaVersion: version.name,
      limits: scaleLimits(brokerType(cluster.instanceType), hostCapacity()),
      storageBytes: cluster.volumeSizeGiB * 1024 ** 3,
    };
  }

  /** Stops the loop and waits for a check in progress. Safe twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.timer);
      await this.running;
    })();
    return this.closing;
  }
}
