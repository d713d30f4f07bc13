/**
 * Prometheus metrics on `/metrics`, named the way Kafka's JMX metrics appear through the Prometheus JMX
 * exporter (kafka_server_brokertopicmetrics_bytesin_total, kafka_network_requestmetrics_..., etc.), so
 * existing Kafka dashboards and alerts carry over. Gauges that describe state (partition counts, log
 * offsets) are computed when scraped, not kept up to date on the request path.
 */
import { createServer, type Server } from 'node:http';
import { API_SPECS, type ApiKey } from '@flotilla/protocol';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ReplicaManager } from './replica/replica-manager.js';

export class BrokerMetrics {
  readonly registry = new Registry();
  private readonly bytesIn: Counter<'topic'>;
  private readonly bytesOut: Counter<'topic'>;
  private readonly messagesIn: Counter<'topic'>;
  private readonly failedProduce: Counter<'topic'>;
  private readonly requests: Counter<'request' | 'version'>;
  private readonly requestTime: Histogram<'request'>;
  private readonly requestBytes: Counter<'request'>;
  private server: Server | undefined;
  private closing: Promise<void> | undefined;

  constructor(replicas: () => ReplicaManager, connections: () => number) {
    const r = this.registry;
    this.bytesIn = new Counter({
      name: 'kafka_server_brokertopicmetrics_bytesin_total',
      help: 'Bytes produced to the broker, per topic',
      labelNames: ['topic'],
      registers: [r],
    });
    this.bytesOut = new Counter({
      name: 'kafka_server_brokertopicmetrics_bytesout_total',
      help: 'Bytes fetched from the broker, per topic',
      labelNames: ['topic'],
      registers: [r],
    });
    this.messagesIn = new Counter({
      name: 'kafka_server_brokertopicmetrics_messagesin_total',
      help: 'Records produced, per topic',
      labelNames: ['topic'],
      registers: [r],
    });
    this.failedProduce = new Counter({
      name: 'kafka_server_brokertopicmetrics_failedproducerequests_total',
      help: 'Produce requests that failed, per topic',
      labelNames: ['topic'],
      registers: [r],
    });
    this.requests = new Counter({
      name: 'kafka_network_requestmetrics_requests_total',
      help: 'Requests handled, per API and version',
      labelNames: ['request', 'version'],
      registers: [r],
    });
    this.requestTime = new Histogram({
      name: 'kafka_network_requestmetrics_totaltimems',
      help: 'Request time from receipt to response, in milliseconds, per API',
      labelNames: ['request'],
      buckets: [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000, 30000],
      registers: [r],
    });
    this.requestBytes = new Counter({
      name: 'kafka_network_requestmetrics_requestbytes_total',
      help: 'Request bytes received, per API',
      labelNames: ['request'],
      registers: [r],
    });

    const partitionGauge = (
      name: string,
      help: string,
      value: (p: import('./replica/partition.js').Partition) => number,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['topic', 'partition'],
        registers: [r],
        collect() {
          this.reset();
          for (const p of replicas().all()) this.set({ topic: p.topic, partition: String(p.partitionId) }, value(p));
        },
      });
    partitionGauge('kafka_log_log_logendoffset', 'Log end offset per partition', (p) => p.log.logEndOffset);
    partitionGauge('kafka_log_log_logstartoffset', 'Log start offset per partition', (p) => p.log.logStartOffset);
    partitionGauge('kafka_log_log_size', 'Bytes on disk per partition', (p) => p.log.size);
    partitionGauge('kafka_log_log_numlogsegments', 'Segments per partition', (p) => p.log.segmentCount);
    partitionGauge(
      'kafka_cluster_partition_underreplicated',
      '1 when the partition has fewer in-sync replicas than replicas',
      (p) => (p.isLeader && p.isr.length < p.replicas.length ? 1 : 0),
    );

    const brokerGauge = (name: string, help: string, value: () => number) =>
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          this.set(value());
        },
      });
    const all = () => [...replicas().all()];
    brokerGauge('kafka_server_replicamanager_partitioncount', 'Partitions hosted by this broker', () => all().length);
    brokerGauge(
      'kafka_server_replicamanager_leadercount',
      'Partitions this broker leads',
      () => all().filter((p) => p.isLeader).length,
    );
    brokerGauge(
      'kafka_server_replicamanager_underreplicatedpartitions',
      'Led partitions whose ISR is smaller than their replica set',
      () => all().filter((p) => p.isLeader && p.isr.length < p.replicas.length).length,
    );
    brokerGauge('kafka_server_socketservermetrics_connection_count', 'Open client connections', connections);
    brokerGauge(
      'kafka_server_replicamanager_underminisrpartitioncount',
      'Led partitions whose ISR is smaller than min.insync.replicas',
      () => all().filter((p) => replicas().underMinIsr(p)).length,
    );
    brokerGauge(
      'kafka_controller_kafkacontroller_offlinepartitionscount',
      'Partitions without a live leader, as this broker sees the metadata',
      () => replicas().offlinePartitionCount(),
    );
    partitionGauge(
      'kafka_cluster_partition_underminisr',
      '1 when a led partition has an ISR below min.insync.replicas',
      (p) => (replicas().underMinIsr(p) ? 1 : 0),
    );
    partitionGauge('kafka_cluster_partition_insyncreplicascount', 'ISR size of a led partition', (p) =>
      p.isLeader ? p.isr.length : 0,
    );
    // Counters kept by the replica manager, read when scraped (IsrShrinksPerSec / IsrExpandsPerSec).
    const replicaCounter = (name: string, help: string, value: () => number) =>
      new Counter({
        name,
        help,
        registers: [r],
        collect() {
          this.reset();
          this.inc(value());
        },
      });
    replicaCounter(
      'kafka_server_replicamanager_isrshrinks_total',
      'ISR shrinks this broker asked for as leader',
      () => replicas().isrShrinks,
    );
    replicaCounter(
      'kafka_server_replicamanager_isrexpands_total',
      'ISR expansions this broker asked for as leader',
      () => replicas().isrExpands,
    );
    // Replication quotas (KIP-73): kafka.server:type=LeaderReplication,name=byte-rate and
    // type=FollowerReplication,name=byte-rate as the JMX exporter names them, plus how long the quota
    // holds throttled replicas back now and how often it did (Flotilla's own).
    for (const type of ['leader', 'follower'] as const) {
      const quota = () => replicas().quotas?.[type];
      const Type = type === 'leader' ? 'Leader' : 'Follower';
      brokerGauge(
        `kafka_server_${type}replication_byte_rate`,
        `Bytes/s of throttled partitions ${type === 'leader' ? 'sent to followers' : 'fetched from leaders'} (${Type}Replication byte-rate)`,
        () => quota()?.rate() ?? 0,
      );
      brokerGauge(
        `kafka_server_${type}replication_throttle_time_ms`,
        `How long the ${type} replication quota holds throttled replicas back from now (0: not exceeded)`,
        () => quota()?.throttleTimeMs() ?? 0,
      );
      replicaCounter(
        `kafka_server_${type}replication_throttled_total`,
        `Throttled partition fetches held back by the ${type} replication quota`,
        () => quota()?.throttledCount ?? 0,
      );
    }
  }

  recordProduce(topic: string, bytes: number, records: number): void {
    this.bytesIn.inc({ topic }, bytes);
    this.messagesIn.inc({ topic }, records);
  }

  recordProduceError(topic: string): void {
    this.failedProduce.inc({ topic });
  }

  recordFetch(topic: string, bytes: number): void {
    this.bytesOut.inc({ topic }, bytes);
  }

  recordRequest(apiKey: number, version: number, latencyMs: number, requestBytes: number): void {
    const request = API_SPECS[apiKey as ApiKey]?.name ?? String(apiKey);
    this.requests.inc({ request, version: String(version) });
    this.requestTime.observe({ request }, latencyMs);
    this.requestBytes.inc({ request }, requestBytes);
  }

  /** Serves /metrics on host:port; returns the bound port. */
  async listen(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e)),
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (!this.server) resolve();
      else this.server.close(() => resolve());
      this.server?.closeAllConnections();
    });
    return this.closing;
  }
}
