/**
 * Alarms: per-cluster thresholds on the monitor's figures (issue 8). After each scrape the cluster's
 * value for every alarm's metric is compared with its threshold; a change of state (OK -> ALARM or back)
 * is stored, published as an event and POSTed to the alarm's webhook (retried with backoff). An alarm
 * whose state did not change notifies no one, so a lasting problem is reported once, like CloudWatch.
 */
import { type Catalog, monitoring } from '@flotilla/db';
import type { ScrapeResult } from './scrape.js';

/** The metrics an alarm can watch, with how the cluster's value is taken from its series. */
export const ALARM_METRICS = [
  'SumOffsetLag',
  'MaxOffsetLag',
  'EstimatedMaxTimeLag',
  'KafkaDataLogsDiskUsed',
  'UnderReplicatedPartitions',
  'OfflinePartitionsCount',
  'BrokerDown',
] as const;

export interface MonitorEvent {
  readonly type: 'alarm';
  readonly clusterArn: string;
  readonly clusterId: string;
  readonly alarm: string;
  readonly metric: string;
  readonly state: 'OK' | 'ALARM';
  readonly previousState: string;
  readonly value: number;
  readonly threshold: number;
  readonly reason: string;
  readonly time: string;
}

/** Where events go (pg_notify on the API event stream's channel, see monitor.ts). */
export type EventPublisher = (event: MonitorEvent) => Promise<void>;

/** The cluster's value of an alarm metric: the largest series (lag, disk), or the cluster figure. */
export function clusterValue(metric: string, result: Pick<ScrapeResult, 'values' | 'brokersDown'>): number {
  if (metric === 'BrokerDown') return result.brokersDown.length;
  const series = result.values.filter((v) => v.metric === metric);
  if (metric === 'UnderReplicatedPartitions' || metric === 'OfflinePartitionsCount') {
    const cluster = series.find((v) => v.dimensions === '');
    if (cluster) return cluster.value;
  }
  return Math.max(0, ...series.map((v) => v.value));
}

function breached(value: number, threshold: number, comparison: string): boolean {
  return comparison === 'GreaterThanOrEqualToThreshold' ? value >= threshold : value > threshold;
}

export interface AlarmContext {
  readonly catalog: Catalog;
  readonly publish: EventPublisher;
  readonly webhook: (url: string, event: MonitorEvent) => Promise<void>;
}

/** Evaluates a cluster's alarms against one scrape; returns the events raised. */
export async function evaluateAlarms(
  ctx: AlarmContext,
  cluster: { readonly id: string; readonly arn: string },
  result: Pick<ScrapeResult, 'values' | 'brokersDown'>,
  now = new Date(),
): Promise<MonitorEvent[]> {
  const events: MonitorEvent[] = [];
  for (const alarm of await monitoring.listAlarms(ctx.catalog, cluster.id)) {
    const value = clusterValue(alarm.metric, result);
    const state = breached(value, alarm.threshold, alarm.comparison) ? 'ALARM' : 'OK';
    if (state === alarm.state) continue;
    const reason = `${alarm.metric} is ${round(value)} (threshold ${alarm.comparison === 'GreaterThanOrEqualToThreshold' ? '>=' : '>'} ${alarm.threshold})`;
    await monitoring.setAlarmState(ctx.catalog, alarm.id, state, reason);
    const event: MonitorEvent = {
      type: 'alarm',
      clusterArn: cluster.arn,
      clusterId: cluster.id,
      alarm: alarm.name,
      metric: alarm.metric,
      state,
      previousState: alarm.state,
      value,
      threshold: alarm.threshold,
      reason,
      time: now.toISOString(),
    };
    events.push(event);
    await ctx.publish(event);
    if (alarm.webhookUrl) await ctx.webhook(alarm.webhookUrl, event);
  }
  return events;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * POSTs the event as JSON; a network error or a 5xx/429 is retried (`attempts` in all, backoff doubling
 * from `backoffMs`), a 4xx is not (the receiver refused it). Throws when every attempt failed.
 */
export async function postWebhook(
  url: string,
  event: MonitorEvent,
  options: { attempts?: number; backoffMs?: number; timeoutMs?: number } = {},
): Promise<void> {
  const attempts = options.attempts ?? 4;
  let backoff = options.backoffMs ?? 500;
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'flotilla-monitor' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
      await response.body?.cancel();
      if (response.ok) return;
      last = `HTTP ${response.status}`;
      if (response.status < 500 && response.status !== 429) break;
    } catch (error) {
      last = (error as Error).message;
    }
    if (attempt < attempts) {
      await new Promise((r) => setTimeout(r, backoff));
      backoff *= 2;
    }
  }
  throw new Error(`webhook ${url} failed: ${last}`);
}
