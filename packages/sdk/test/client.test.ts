/**
 * The SDK against the real API server process (apps/api/dist/server.js on a scratch Postgres database
 * and the local Redis): SigV4 and Bearer authentication as the server verifies them, every typed call
 * it serves today, and its errors as SdkError with MSK's exception names. No worker runs here, so a
 * created cluster stays CREATING (the CLI's tests run the whole lifecycle with a worker).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropDatabase, scratchDatabaseUrl } from '@flotilla/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, decodeServerProperties, FlotillaClient, paginate, SdkError, waitForCluster } from '../src/index.js';

// FLOTILLA_TEST_API_DIR: an API built elsewhere (a branch's build, while apps/api/dist is older).
const SERVER = process.env.FLOTILLA_TEST_API_DIR
  ? `${process.env.FLOTILLA_TEST_API_DIR}/server.js`
  : fileURLToPath(new URL('../../../apps/api/dist/server.js', import.meta.url));
const credentials = {
  accessKeyId: 'AKIASDKTEST000000001',
  secretAccessKey: 'sdk-test-secret-0123456789abcdefghijklmn',
};

let server: ChildProcess;
let endpoint: string;
const databaseUrl = scratchDatabaseUrl('flotilla_sdk');
const stateDir = mkdtempSync(join(tmpdir(), 'flotilla-sdk-'));

beforeAll(async () => {
  server = spawn(process.execPath, [SERVER], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      FLOTILLA_API_PORT: '0',
      FLOTILLA_STATE_DIR: stateDir,
      FLOTILLA_QUEUE_PREFIX: `flotilla-sdk-${process.pid}`,
      FLOTILLA_ACCESS_KEY_ID: credentials.accessKeyId,
      FLOTILLA_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      FLOTILLA_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  endpoint = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Flotilla API on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    server.once('exit', (code) => reject(new Error(`API exited with ${code}: ${out}`)));
  });
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  await dropDatabase(databaseUrl);
  rmSync(stateDir, { recursive: true, force: true });
});

const provisioned = {
  kafkaVersion: '3.8.x',
  numberOfBrokerNodes: 3,
  brokerNodeGroupInfo: { instanceType: 'kafka.t3.small', clientSubnets: ['a', 'b', 'c'] },
};

describe('authentication', () => {
  it('SigV4 with an access key, and Bearer, are accepted', async () => {
    const signed = new FlotillaClient({ endpoint, credentials });
    const bearer = new FlotillaClient({ endpoint, credentials, auth: 'bearer' });
    const token = new FlotillaClient({ endpoint, token: `${credentials.accessKeyId}:${credentials.secretAccessKey}` });
    for (const client of [signed, bearer, token]) {
      expect((await client.listKafkaVersions()).kafkaVersions.map((v) => v.version)).toContain('3.8.x');
    }
  });

  it('a wrong secret, an unknown key and no credentials are refused with AWS exception names', async () => {
    const wrongSecret = new FlotillaClient({ endpoint, credentials: { ...credentials, secretAccessKey: 'nope' } });
    const error = await wrongSecret.listClustersV2().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SdkError);
    expect(error).toMatchObject({ type: 'InvalidSignatureException', status: 403, authFailed: true });

    const unknown = new FlotillaClient({
      endpoint,
      credentials: { ...credentials, accessKeyId: 'AKIAUNKNOWN000000000' },
    });
    await expect(unknown.listClustersV2()).rejects.toMatchObject({ type: 'UnrecognizedClientException' });
    const none = new FlotillaClient({ endpoint });
    await expect(none.listClustersV2()).rejects.toMatchObject({ type: 'MissingAuthenticationTokenException' });
    // The health check needs none.
    expect(await none.health()).toEqual({ status: 'ok' });
  });

  it('query strings with repeated keys and characters SigV4 escapes are signed as the server rebuilds them', async () => {
    const client = new FlotillaClient({ endpoint, credentials });
    const out = await client.listClustersV2({ clusterNameFilter: "a b/c*(d)!'~", maxResults: 5 });
    expect(out.clusterInfoList).toEqual([]);
  });
});

describe('typed calls', () => {
  const client = () => new FlotillaClient({ endpoint, credentials });

  it('configurations: create, describe, update, revisions (server.properties round-trips as text), delete', async () => {
    const c = client();
    const created = await c.createConfiguration({
      name: 'sdk-config',
      serverProperties: 'num.partitions=3\nlog.retention.hours=24\n',
      description: 'first',
    });
    expect(created).toMatchObject({ name: 'sdk-config', latestRevision: { revision: 1 }, state: 'ACTIVE' });
    expect((await c.describeConfiguration(created.arn)).description).toBe('first');
    const updated = await c.updateConfiguration(created.arn, {
      serverProperties: 'num.partitions=6\n',
      description: 'second',
    });
    expect(updated.latestRevision.revision).toBe(2);
    const revisions = await c.listConfigurationRevisions(created.arn);
    expect(revisions.revisions.map((r) => r.revision)).toEqual([1, 2]);
    const second = await c.describeConfigurationRevision(created.arn, 2);
    expect(decodeServerProperties(second.serverProperties)).toBe('num.partitions=6\n');
    expect((await c.listConfigurations()).configurations.map((x) => x.name)).toContain('sdk-config');
    expect(await c.deleteConfiguration(created.arn)).toMatchObject({ arn: created.arn, state: 'DELETING' });
  });

  it('clusters: create (v2 and v1), describe, list with paging, nodes, bootstrap, operations, tags', async () => {
    const c = client();
    const created = await c.createClusterV2({ clusterName: 'sdk-one', tags: { team: 'orders' }, provisioned });
    expect(created).toMatchObject({ clusterName: 'sdk-one', state: 'CREATING', clusterType: 'PROVISIONED' });
    const v1 = await c.createCluster({ clusterName: 'sdk-two', ...provisioned });
    expect(v1.state).toBe('CREATING');

    const described = await c.describeClusterV2(created.clusterArn);
    expect(described).toMatchObject({
      clusterName: 'sdk-one',
      state: 'CREATING',
      tags: { team: 'orders' },
      provisioned: { numberOfBrokerNodes: 3, currentBrokerSoftwareInfo: { kafkaVersion: '3.8.x' } },
    });
    expect(described.activeOperationArn).toMatch(/^arn:aws:kafka:/);
    expect((await c.describeCluster(v1.clusterArn)).numberOfBrokerNodes).toBe(3);

    // Two pages of one cluster each, walked by paginate.
    const names = await collect(
      paginate(
        (nextToken) => c.listClustersV2({ maxResults: 1, nextToken }),
        (page) => page.clusterInfoList.map((x) => x.clusterName),
      ),
    );
    expect(names.sort()).toEqual(['sdk-one', 'sdk-two']);
    expect((await c.listClusters({ clusterNameFilter: 'sdk-t' })).clusterInfoList.map((x) => x.clusterName)).toEqual([
      'sdk-two',
    ]);

    expect((await c.listNodes(created.clusterArn)).nodeInfoList).toEqual([]);
    expect(await c.getBootstrapBrokers(created.clusterArn)).toEqual({});

    const ops = await c.listClusterOperationsV2(created.clusterArn);
    expect(ops.clusterOperationInfoList.map((o) => o.operationType)).toEqual(['CREATE']);
    const op = await c.describeClusterOperationV2(ops.clusterOperationInfoList[0]?.operationArn as string);
    expect(op.operationArn).toBe(described.activeOperationArn);
    expect((await c.describeClusterOperation(op.operationArn)).operationType).toBe('CREATE');
    expect((await c.listClusterOperations(created.clusterArn)).clusterOperationInfoList).toHaveLength(1);

    await c.tagResource(created.clusterArn, { env: 'test', tier: 'gold' });
    await c.untagResource(created.clusterArn, ['team', 'tier']);
    expect(await c.listTagsForResource(created.clusterArn)).toEqual({ env: 'test' });

    const compatible = await c.getCompatibleKafkaVersions(created.clusterArn);
    expect(compatible.compatibleKafkaVersions[0]?.sourceVersion).toBe('3.8.x');

    // Nothing moves a CREATING cluster without a worker: waiting gives up with a TimeoutError.
    await expect(waitForCluster(c, created.clusterArn, { timeoutMs: 300, intervalMs: 100 })).rejects.toMatchObject({
      type: 'TimeoutError',
    });
  });
});

describe('events', () => {
  it('the server-sent-events stream yields the changes a call makes, once open', async () => {
    const client = new FlotillaClient({ endpoint, credentials });
    const stop = new AbortController();
    let open!: () => void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    const seen: Record<string, unknown>[] = [];
    const reading = (async () => {
      for await (const event of client.events({ signal: stop.signal, onOpen: open })) {
        seen.push(event);
        if (seen.some((e) => e.type === 'operation')) break;
      }
    })();
    await opened;
    const created = await client.createClusterV2({ clusterName: 'sdk-events', provisioned });
    await Promise.race([reading, new Promise((_, reject) => setTimeout(() => reject(new Error('no event')), 10_000))]);
    stop.abort();
    expect(seen).toContainEqual(
      expect.objectContaining({ type: 'cluster', clusterArn: created.clusterArn, state: 'CREATING' }),
    );
    expect(seen).toContainEqual(
      expect.objectContaining({ type: 'operation', clusterArn: created.clusterArn, operationType: 'CREATE' }),
    );
  });
});

describe('errors', () => {
  const client = () => new FlotillaClient({ endpoint, credentials });

  it("MSK's exception name, message and invalidParameter, from the API's answer", async () => {
    const bad = await client()
      .createClusterV2({ clusterName: 'bad name!', provisioned })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(SdkError);
    expect(bad).toMatchObject({ type: 'BadRequestException', status: 400, invalidParameter: 'clusterName' });

    await client().createClusterV2({ clusterName: 'sdk-dup', provisioned });
    await expect(client().createClusterV2({ clusterName: 'sdk-dup', provisioned })).rejects.toMatchObject({
      type: 'ConflictException',
      status: 409,
    });

    const missing = await client()
      .describeClusterV2('arn:aws:kafka:us-east-1:000000000000:cluster/none/00000000-0000-0000-0000-000000000000-1')
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({ type: 'NotFoundException', status: 404, routeMissing: false });
  });

  it('a route the server does not have is told apart from a missing resource', async () => {
    const error = await client()
      .request('GET', '/v1/no-such-resource')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'NotFoundException', routeMissing: true });
  });

  it('no server at the endpoint is a NetworkError naming it', async () => {
    const nowhere = new FlotillaClient({ endpoint: 'http://127.0.0.1:1', credentials });
    const error = await nowhere.listClustersV2().catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'NetworkError', status: 0 });
    expect((error as Error).message).toContain('http://127.0.0.1:1');
  });
});
