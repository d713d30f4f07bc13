/**
 * MSK's topic calls over the cluster's brokers. Reads come from the brokers (a topic a client created
 * is listed at once); writes record their intent in the catalog (a Topic row in CREATING/UPDATING/
 * DELETING), ask the controller, and settle the row, so that a crash in between is finished by the
 * worker's reconciler (apps/worker/src/jobs/reconcile.ts). Each write also asks for a reconcile.
 */
import { ConfigResourceType } from '@flotilla/protocol';
import { isUserTopic, topicArn, topicConfigs } from '@flotilla/worker';
import { badRequest, conflict, notFound } from '../lib/errors.js';
import type { CreateTopicRequest, UpdateTopicRequest } from '../schemas/cluster-resources.js';
import { withCluster } from './cluster-access.js';
import type { Services } from './context.js';

export interface TopicDeps {
  readonly services: Services;
  /** Asks the worker to reconcile a cluster soon. */
  readonly requestReconcile: (clusterId: string) => Promise<void>;
}

const encodeToken = (name: string) => Buffer.from(name, 'utf8').toString('base64url');
const decodeToken = (token: string) => Buffer.from(token, 'base64url').toString('utf8');

/** `configs` is base64 of a JSON object of strings (what MSK's console and SDK send). */
export function decodeConfigs(configs: string | undefined): Record<string, string> {
  if (configs === undefined || configs === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(configs, 'base64').toString('utf8'));
  } catch {
    throw badRequest('configs must be base64 of a JSON object of topic configs', 'configs');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw badRequest('configs must be base64 of a JSON object of topic configs', 'configs');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!/^[a-z0-9.]+$/.test(k)) throw badRequest(`configs has an invalid config name '${k}'`, 'configs');
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw badRequest(`config ${k} must be a string`, 'configs');
    out[k] = String(v);
  }
  return out;
}

const encodeConfigs = (configs: Record<string, string>) => Buffer.from(JSON.stringify(configs)).toString('base64');

export async function listTopics(
  s: Services,
  clusterArn: string,
  query: { maxResults?: number; nextToken?: string; topicNameFilter?: string },
) {
  return withCluster(s, clusterArn, { mutation: false }, async (admin, cluster) => {
    const { topics } = await admin.admin.metadata();
    const after = query.nextToken ? decodeToken(query.nextToken) : '';
    const all = topics
      .filter((t) => isUserTopic(t.name, t.isInternal))
      .filter((t) => !query.topicNameFilter || t.name.startsWith(query.topicNameFilter))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .filter((t) => t.name > after);
    const max = query.maxResults ?? 100;
    const page = all.slice(0, max);
    return {
      topics: page.map((t) => ({
        topicArn: topicArn(cluster.arn, t.name),
        topicName: t.name,
        partitionCount: t.partitions.length,
        replicationFactor: t.partitions[0]?.replicas.length ?? 0,
        outOfSyncReplicaCount: t.partitions.reduce((n, p) => n + (p.replicas.length - p.isr.length), 0),
      })),
      ...(all.length > max && page.length ? { nextToken: encodeToken(page.at(-1)?.name ?? '') } : {}),
    };
  });
}

export async function describeTopic(s: Services, clusterArn: string, topicName: string) {
  return withCluster(s, clusterArn, { mutation: false }, async (admin, cluster) => {
    const { topics } = await admin.admin.metadata([topicName]);
    const topic = topics[0];
    if (!topic) throw notFound(`Topic ${topicName} does not exist`, 'topicName');
    const [configs, row] = await Promise.all([
      topicConfigs(admin, [topicName]),
      s.catalog.topic.findUnique({ where: { clusterId_name: { clusterId: cluster.id, name: topicName } } }),
    ]);
    return {
      topicArn: topicArn(cluster.arn, topicName),
      topicName,
      partitionCount: topic.partitions.length,
      replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
      configs: encodeConfigs(configs.get(topicName) ?? {}),
      status: (row?.state ?? 'ACTIVE') as 'ACTIVE' | 'CREATING' | 'UPDATING' | 'DELETING',
    };
  });
}

export async function describeTopicPartitions(
  s: Services,
  clusterArn: string,
  topicName: string,
  query: { maxResults?: number; nextToken?: string },
) {
  return withCluster(s, clusterArn, { mutation: false }, async (admin) => {
    const { topics } = await admin.admin.metadata([topicName]);
    const topic = topics[0];
    if (!topic) throw notFound(`Topic ${topicName} does not exist`, 'topicName');
    const start = query.nextToken ? Number(decodeToken(query.nextToken)) : 0;
    if (!Number.isInteger(start) || start < 0) throw badRequest('nextToken is not one we gave', 'nextToken');
    const max = query.maxResults ?? 100;
    const page = topic.partitions.slice(start, start + max);
    return {
      partitions: page.map((p) => ({
        partition: p.partition,
        leader: p.leader,
        replicas: [...p.replicas],
        isr: [...p.isr],
      })),
      ...(start + max < topic.partitions.length ? { nextToken: encodeToken(String(start + max)) } : {}),
    };
  });
}

export async function createTopic(deps: TopicDeps, clusterArn: string, request: CreateTopicRequest) {
  const s = deps.services;
  const configs = decodeConfigs(request.configs);
  const result = await withCluster(s, clusterArn, { mutation: true }, async (admin, cluster) => {
    if (request.replicationFactor > cluster.numberOfBrokerNodes) {
      throw badRequest(
        `replicationFactor ${request.replicationFactor} is larger than the cluster's ${cluster.numberOfBrokerNodes} brokers`,
        'replicationFactor',
      );
    }
    const arn = topicArn(cluster.arn, request.topicName);
    const existing = await s.catalog.topic.findUnique({
      where: { clusterId_name: { clusterId: cluster.id, name: request.topicName } },
    });
    if (existing && existing.state !== 'CREATING') {
      throw conflict(`Topic ${request.topicName} already exists`, 'topicName');
    }
    // The intent first: if we die after the brokers created it, the reconciler marks it ACTIVE.
    const row = await s.catalog.topic.upsert({
      where: { clusterId_name: { clusterId: cluster.id, name: request.topicName } },
      create: {
        clusterId: cluster.id,
        name: request.topicName,
        topicArn: arn,
        partitionCount: request.partitionCount,
        replicationFactor: request.replicationFactor,
        configs,
        origin: 'api',
        state: 'CREATING',
      },
      update: {},
    });
    try {
      await admin.admin.createTopics([
        {
          name: request.topicName,
          numPartitions: request.partitionCount,
          replicationFactor: request.replicationFactor,
          configs,
        },
      ]);
    } catch (error) {
      // The brokers said no (exists already, invalid config): there is nothing to finish later.
      await s.catalog.topic.deleteMany({ where: { id: row.id, state: 'CREATING' } });
      throw error;
    }
    await s.catalog.topic.update({ where: { id: row.id }, data: { state: 'ACTIVE' } });
    return { cluster, arn };
  });
  await deps.requestReconcile(result.cluster.id).catch(() => undefined);
  return { topicArn: result.arn, topicName: request.topicName, status: 'ACTIVE' as const };
}

export async function updateTopic(deps: TopicDeps, clusterArn: string, topicName: string, request: UpdateTopicRequest) {
  const s = deps.services;
  if (request.configs === undefined && request.partitionCount === undefined)
    throw badRequest('Give configs, partitionCount or both', 'configs');
  const configs = request.configs === undefined ? undefined : decodeConfigs(request.configs);
  const cluster = await withCluster(s, clusterArn, { mutation: true }, async (admin, cluster) => {
    const { topics } = await admin.admin.metadata([topicName]);
    const topic = topics[0];
    if (!topic) throw notFound(`Topic ${topicName} does not exist`, 'topicName');
    if (request.partitionCount !== undefined && request.partitionCount < topic.partitions.length) {
      throw badRequest(
        `partitionCount can only grow: ${topicName} has ${topic.partitions.length} partitions`,
        'partitionCount',
      );
    }
    if (configs) {
      // UpdateTopic replaces the topic's configs: what is set and not given goes back to its default.
      const current = (await topicConfigs(admin, [topicName])).get(topicName) ?? {};
      const ops = [
        ...Object.entries(configs).map(([name, value]) => ({ name, op: 0 as const, value })),
        ...Object.keys(current)
          .filter((name) => !(name in configs))
          .map((name) => ({ name, op: 1 as const })),
      ];
      if (ops.length) {
        await admin.admin.incrementalAlterConfigs([{ type: ConfigResourceType.TOPIC, name: topicName, ops }]);
      }
    }
    if (request.partitionCount !== undefined && request.partitionCount > topic.partitions.length) {
      await admin.admin.createPartitions([{ topic: topicName, count: request.partitionCount }]);
    }
    await s.catalog.topic.upsert({
      where: { clusterId_name: { clusterId: cluster.id, name: topicName } },
      create: {
        clusterId: cluster.id,
        name: topicName,
        topicArn: topicArn(cluster.arn, topicName),
        partitionCount: request.partitionCount ?? topic.partitions.length,
        replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
        configs: configs ?? {},
        origin: 'cluster',
      },
      update: {
        ...(request.partitionCount !== undefined ? { partitionCount: request.partitionCount } : {}),
        ...(configs ? { configs } : {}),
        state: 'ACTIVE',
      },
    });
    return cluster;
  });
  await deps.requestReconcile(cluster.id).catch(() => undefined);
  return { topicArn: topicArn(cluster.arn, topicName), topicName, status: 'ACTIVE' as const };
}

export async function deleteTopic(deps: TopicDeps, clusterArn: string, topicName: string) {
  const s = deps.services;
  const cluster = await withCluster(s, clusterArn, { mutation: true }, async (admin, cluster) => {
    const { topics } = await admin.admin.metadata();
    if (!topics.some((t) => t.name === topicName)) throw notFound(`Topic ${topicName} does not exist`, 'topicName');
    await s.catalog.topic.updateMany({
      where: { clusterId: cluster.id, name: topicName },
      data: { state: 'DELETING' },
    });
    await admin.admin.deleteTopics([topicName]);
    await s.catalog.topic.deleteMany({ where: { clusterId: cluster.id, name: topicName } });
    return cluster;
  });
  await deps.requestReconcile(cluster.id).catch(() => undefined);
  return { topicArn: topicArn(cluster.arn, topicName), topicName, status: 'DELETING' as const };
}
