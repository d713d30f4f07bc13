/**
 * The monitor (ARCHITECTURE.md flow 4, issue 8): every `intervalMs`, each cluster that has brokers to
 * watch (ACTIVE, HEALING, UPDATING, MAINTENANCE, REBOOTING_BROKER) is scraped (scrape.ts), the series its
 * monitoring level keeps are written in one batch, and its alarms are evaluated. Every
 * `compactEveryMs` old samples are folded into coarser means (DEFAULT_COMPACTION) and the oldest expire.
 *
 * One monitor per control plane is enough; two would write the same (series, time) rows rarely and
 * harmlessly (inserts skip duplicates), but scrape twice as often.
 */
import { type Catalog, monitoring, type SecretBox } from '@flotilla/db';
import type { RuntimeDriver } from '@flotilla/runtime';
import type { JobLogger } from '../jobs/context.js';
import { requireClusterEndpoint } from '../kafka/cluster-endpoint.js';
import { type EventPublisher, evaluateAlarms, type MonitorEvent, postWebhook } from './alarms.js';
import { asMonitoringLevel } from './levels.js';
import { type CounterMemory, type ScrapeResult, scrapeCluster } from './scrape.js';

const WATCHED_STATES = ['ACTIVE', 'HEALING', 'UPDATING', 'MAINTENANCE', 'REBOOTING_BROKER'] as const;

export interface MonitorOptions {
  readonly catalog: Catalog;
  readonly driver: RuntimeDriver;
  /** Default 30 s (FLOTILLA_MONITOR_INTERVAL_MS). */
  readonly intervalMs?: number;
  readonly publish?: EventPublisher;
  readonly webhook?: (url: string, event: MonitorEvent) => Promise<void>;
  readonly compaction?: monitoring.CompactionPolicy;
  readonly compactEveryMs?: number;
  readonly log?: JobLogger;
  /** Opens secured clusters' control-plane credentials (kafka/cluster-endpoint.ts). */
  readonly box?: SecretBox;
}

export interface ClusterScrape extends ScrapeResult {
  readonly clusterId: string;
  readonly clusterArn: string;
  readonly written: number;
  readonly events: MonitorEvent[];
}

/** Raw samples for 6 hours, 5-minute means for 2 days, hourly means for 90 days. */
export const DEFAULT_COMPACTION: monitoring.CompactionPolicy = {
  rawRetentionMs: 6 * 3600_000,
  bucketSeconds: 300,
  bucketRetentionMs: 2 * 24 * 3600_000,
  coarse: { bucketSeconds: 3600, retentionMs: 90 * 24 * 3600_000 },
};

export class Monitor {
  private readonly counters = new Map<string, CounterMemory>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private closing: Promise<void> | undefined;
  private lastCompaction = 0;
  private readonly log: JobLogger;

  constructor(private readonly options: MonitorOptions) {
    this.log = options.log ?? { info() {}, warn() {}, error() {} };
  }

  /** Scrapes at once, then every interval; a scrape still running when the next is due is not doubled. */
  start(): void {
    if (this.timer || this.closing) return;
    const tick = () => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((error: unknown) => this.log.error('monitor pass failed', { error: String(error) }))
        .finally(() => {
          this.running = undefined;
        });
    };
    this.timer = setInterval(tick, this.options.intervalMs ?? 30_000);
    tick();
  }

  /** One pass over every watched cluster (tests and `make bench` call it directly). */
  async runOnce(now = new Date()): Promise<ClusterScrape[]> {
    const { catalog } = this.options;
    const clusters = await catalog.cluster.findMany({
      where: {
        state: { in: [...WATCHED_STATES] },
        OR: [{ bootstrapBrokerString: { not: null } }, { controlPlaneBootstrap: { not: null } }],
      },
      include: { brokers: { select: { nodeId: true } } },
    });
    const results = await Promise.all(
      clusters.map(async (cluster) => {
        const counters = this.counters.get(cluster.id) ?? new Map();
        this.counters.set(cluster.id, counters);
        try {
          return await this.scrapeOne(cluster, counters, now);
        } catch (error) {
          this.log.warn('cluster scrape failed', { cluster: cluster.arn, error: String(error) });
          return undefined;
        }
      }),
    );
    // Forget counters of clusters that are gone.
    for (const id of this.counters.keys()) if (!clusters.some((c) => c.id === id)) this.counters.delete(id);
    const compactEvery = this.options.compactEveryMs ?? 10 * 60_000;
    if (now.getTime() - this.lastCompaction >= compactEvery) {
      this.lastCompaction = now.getTime();
      const compacted = await monitoring.compactSamples(catalog, this.options.compaction ?? DEFAULT_COMPACTION, now);
      const pruned = await monitoring.pruneDeletedClusters(catalog);
      if (compacted.folded || compacted.expired || pruned) this.log.info('samples compacted', { ...compacted, pruned });
    }
    return results.filter((r): r is ClusterScrape => r !== undefined);
  }

  private async scrapeOne(
    cluster: {
      id: string;
      arn: string;
      name: string;
      enhancedMonitoring: string;
      bootstrapBrokerString: string | null;
      controlPlaneBootstrap: string | null;
      controlPlanePasswordSealed: Uint8Array | null;
      volumeSizeGiB: number;
      brokers: { nodeId: number }[];
    },
    counters: CounterMemory,
    now: Date,
  ): Promise<ClusterScrape> {
    const { catalog, driver } = this.options;
    const result = await scrapeCluster(
      {
        clusterId: cluster.id,
        clusterArn: cluster.arn,
        level: asMonitoringLevel(cluster.enhancedMonitoring),
        endpoint: requireClusterEndpoint(cluster, this.options.box),
        nodeIds: cluster.brokers.map((b) => b.nodeId).sort((a, b) => a - b),
        volumeSizeGiB: cluster.volumeSizeGiB,
      },
      driver,
      counters,
      now,
    );
    const written = await monitoring.insertSamples(catalog, result.samples);
    const events = await evaluateAlarms(
      {
        catalog,
        publish: this.options.publish ?? catalogPublisher(catalog),
        webhook: async (url, event) =>
          (this.options.webhook ?? postWebhook)(url, event).catch((error: unknown) =>
            this.log.warn('alarm webhook failed', { url, error: String(error) }),
          ),
      },
      cluster,
      result,
      now,
    );
    for (const problem of result.problems) this.log.warn('cluster problem', { cluster: cluster.arn, problem });
    return { ...result, clusterId: cluster.id, clusterArn: cluster.arn, written, events };
  }

  /** Stops the timer and waits for a running pass. Safe twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      await this.running;
    })();
    return this.closing;
  }
}

/**
 * The channel of the API's event stream (GET /v1/events): the API LISTENs on it and forwards each
 * notification as a server-sent event (migration 20261125102830_event_notifications announces cluster
 * and operation changes there the same way).
 */
export const EVENTS_CHANNEL = 'flotilla_events';

/** Publishes events with pg_notify on EVENTS_CHANNEL, so they reach every API instance's stream. */
export function catalogPublisher(catalog: Catalog): EventPublisher {
  return async (event) => {
    await catalog.$executeRaw`SELECT pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify(event)})`;
  };
}
