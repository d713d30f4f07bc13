import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, catalogPool, createCatalog } from '../client.js';
import { migrate } from '../migrate.js';
import { dropDatabase, scratchDatabaseUrl } from '../testing.js';
import { describeClusterView, listClusterViews } from './cluster-views.js';

describe('cluster views: DescribeClusterV2 and ListClustersV2 reads in SQL (real Postgres)', () => {
  const url = scratchDatabaseUrl();
  let catalog: Catalog;

  beforeAll(async () => {
    await migrate({ url });
    catalog = createCatalog({ url });
  });
  afterAll(async () => {
    await catalog.$disconnect();
    await dropDatabase(url);
  });

  async function cluster(name: string, extra: Record<string, unknown> = {}) {
    const id = randomUUID();
    return catalog.cluster.create({
      data: {
        id,
        arn: `arn:aws:kafka:us-east-1:000000000000:cluster/${name}/${id}-1`,
        name,
        currentVersion: 'K1',
        kafkaVersion: '3.8.x',
        numberOfBrokerNodes: 3,
        brokerNodeGroupInfo: { instanceType: 'kafka.t3.small', clientSubnets: ['a', 'b', 'c'] },
        instanceType: 'kafka.t3.small',
        volumeSizeGiB: 1,
        runtime: 'process',
        state: 'ACTIVE',
        ...extra,
      },
    });
  }

  it('reads the columns Prisma reads, the tags by key and no operation while ACTIVE', async () => {
    const row = await cluster('described', {
      clientAuthentication: { sasl: { scram: { enabled: true } } },
      encryptionInfo: { encryptionInTransit: { clientBroker: 'TLS', inCluster: true } },
      configurationArn: 'arn:aws:kafka:us-east-1:000000000000:configuration/c/1',
      configurationRevision: 2,
      stateCode: 'CODE',
      stateMessage: 'message',
      brokers: { create: [{ nodeId: 1, host: '127.0.0.1', port: 19092 }] },
    });
    await catalog.tag.createMany({
      data: [
        { resourceArn: row.arn, key: 'team', value: 'data' },
        { resourceArn: row.arn, key: 'env', value: 'prod' },
      ],
    });
    const view = await describeClusterView(catalog, row.arn);
    expect(view).toEqual({
      arn: row.arn,
      name: row.name,
      clusterType: 'PROVISIONED',
      state: 'ACTIVE',
      stateCode: 'CODE',
      stateMessage: 'message',
      currentVersion: 'K1',
      kafkaVersion: '3.8.x',
      numberOfBrokerNodes: 3,
      brokerNodeGroupInfo: row.brokerNodeGroupInfo,
      encryptionInfo: row.encryptionInfo,
      clientAuthentication: row.clientAuthentication,
      enhancedMonitoring: 'DEFAULT',
      openMonitoring: null,
      loggingInfo: null,
      storageMode: 'LOCAL',
      configurationArn: row.configurationArn,
      configurationRevision: 2,
      createdAt: row.createdAt,
      tags: { env: 'prod', team: 'data' },
      activeOperationArn: null,
    });
    expect(Object.keys(view?.tags ?? {})).toEqual(['env', 'team']);
    expect(await describeClusterView(catalog, `${row.arn}-gone`)).toBeNull();
  });

  it('reads createdAt as UTC whatever the process time zone', async () => {
    const createdAt = new Date('2026-01-02T03:04:05.678Z');
    const row = await cluster('zoned', { createdAt });
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect((await describeClusterView(catalog, row.arn))?.createdAt.toISOString()).toBe(createdAt.toISOString());
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("shows a busy cluster's newest running operation, and every write at once (no cache)", async () => {
    const row = await cluster('busy');
    const operation = (arn: string, state: 'PENDING' | 'UPDATE_COMPLETE', startTime: Date) =>
      catalog.clusterOperation.create({
        data: {
          id: randomUUID(),
          arn,
          clusterId: row.id,
          clusterArn: row.arn,
          operationType: 'UPDATE_BROKER_COUNT',
          operationState: state,
          startTime,
        },
      });
    await operation(`${row.arn}/op-done`, 'UPDATE_COMPLETE', new Date(Date.now() + 60_000));
    await operation(`${row.arn}/op-old`, 'PENDING', new Date(Date.now() - 60_000));
    await operation(`${row.arn}/op-new`, 'PENDING', new Date());
    // ACTIVE: MSK shows no active operation, whatever rows remain.
    expect((await describeClusterView(catalog, row.arn))?.activeOperationArn).toBeNull();

    await catalog.cluster.update({ where: { id: row.id }, data: { state: 'UPDATING', currentVersion: 'K2' } });
    const updating = await describeClusterView(catalog, row.arn);
    expect(updating).toMatchObject({
      state: 'UPDATING',
      currentVersion: 'K2',
      activeOperationArn: `${row.arn}/op-new`,
    });

    await catalog.cluster.update({ where: { id: row.id }, data: { state: 'FAILED', currentVersion: 'K3' } });
    expect(await describeClusterView(catalog, row.arn)).toMatchObject({
      state: 'FAILED',
      currentVersion: 'K3',
      activeOperationArn: null,
    });
  });

  it('lists in creation order a page at a time, filtering by a literal name prefix', async () => {
    const base = Date.parse('2030-01-01T00:00:00Z');
    const names = ['lst_a', 'lst_b', 'lstxc', 'lst%d', 'lst_e'];
    const rows = [];
    for (const [i, name] of names.entries()) rows.push(await cluster(name, { createdAt: new Date(base + i * 1000) }));
    await catalog.tag.create({ data: { resourceArn: rows[1]?.arn as string, key: 'k', value: 'v' } });

    const all = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await listClusterViews(catalog, {
        nameFilter: 'lst',
        maxResults: 2,
        ...(nextToken ? { nextToken } : {}),
      });
      all.push(...page.clusters);
      nextToken = page.nextToken ?? undefined;
      pages++;
    } while (nextToken);
    expect(pages).toBe(3);
    expect(all.map((c) => c.name)).toEqual(names);
    expect(all[1]?.tags).toEqual({ k: 'v' });
    expect(all[0]?.tags).toEqual({});

    // `_` and `%` are characters of the prefix, not LIKE wildcards.
    const underscore = await listClusterViews(catalog, { nameFilter: 'lst_', maxResults: 10 });
    expect(underscore.clusters.map((c) => c.name)).toEqual(['lst_a', 'lst_b', 'lst_e']);
    expect(underscore.nextToken).toBeNull();
    const percent = await listClusterViews(catalog, { nameFilter: 'lst%', maxResults: 10 });
    expect(percent.clusters.map((c) => c.name)).toEqual(['lst%d']);

    const everything = await listClusterViews(catalog, { maxResults: 100 });
    expect(everything.clusters.map((c) => c.name)).toEqual(expect.arrayContaining(names));
    expect(everything.nextToken).toBeNull();
  });

  it('$disconnect ends the pool under the catalog, also when Prisma itself never connected', async () => {
    const other = createCatalog({ url });
    const pool = catalogPool(other);
    expect(await describeClusterView(other, 'arn:none')).toBeNull();
    await other.$disconnect();
    expect(pool.ended).toBe(true);
  });
});
