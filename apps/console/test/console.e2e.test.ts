/**
 * The console end to end, in a real browser (Debian's chromium through playwright-core) against the
 * real API (Postgres, Redis) and the operations worker on the ProcessDriver (real broker processes):
 * sign in, create a cluster through the form (validation first), watch it go ACTIVE, see its brokers
 * and bootstrap servers, create a topic, produce a message in the browser and find it in the message
 * browser; then a SASL/SCRAM + mutual TLS cluster from the form's Security section, its CA, a client
 * certificate and a SCRAM user made in the browser, each used by kcat against the brokers. Screenshots
 * of each main page at 1280x800 and 390x844, light and dark, go to .test-results/screenshots (look at them).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCatalog } from '@flotilla/db';
import { dropDatabase, scratchDatabaseUrl } from '@flotilla/db/testing';
import { ProcessDriver } from '@flotilla/runtime';
import { OperationsWorker } from '@flotilla/worker';
import { Kafka, logLevel } from 'kafkajs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The API is started in this process from its source, as apps/api/test/e2e.test.ts does.
import { loadConfig } from '../../api/src/config.js';
import { buildApi, type StartedApi } from '../../api/src/start.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '../../..');
const CONSOLE_DIST = join(here, '../dist');
const SHOTS = join(ROOT, '.test-results/screenshots');
const CHROMIUM = process.env.FLOTILLA_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const VIEWPORTS = { wide: { width: 1280, height: 800 }, narrow: { width: 390, height: 844 } } as const;
const quiet = { info() {}, warn: console.warn, error: console.error };

/** kcat with `args`; killed after `timeoutMs` (a refused client may retry forever). */
function kcat(args: string[], timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('kcat', args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error ? (error as { code?: number | string }).code : 0;
      resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
    });
  });
}

const ready = existsSync(CHROMIUM) && existsSync(join(CONSOLE_DIST, 'index.html'));

describe.skipIf(!ready)('web console against a real control plane', () => {
  const databaseUrl = scratchDatabaseUrl('flotilla_console');
  const stateDir = mkdtempSync(join(tmpdir(), 'flotilla-console-'));
  const queuePrefix = `flotilla-console-${process.pid}`;
  const accessKeyId = 'FLOCONSOLETEST000001';
  const secretAccessKey = 'console-test-secret-0123456789abcdefghij';
  let api: StartedApi;
  let base: string;
  let worker: OperationsWorker;
  let driver: ProcessDriver;
  let workerCatalog: ReturnType<typeof createCatalog>;
  let browser: Browser;
  let page: Page;
  let clusterPath: string;

  /**
   * Screenshots of the current URL in both viewports and both colour schemes: the full page, or one
   * `element` after `prepare` (a fresh page loses what the test typed into the form).
   */
  async function shoot(
    name: string,
    waitFor?: string,
    signedIn = true,
    opts: { element?: string; prepare?: (p: Page) => Promise<void> } = {},
  ): Promise<void> {
    for (const [size, viewport] of Object.entries(VIEWPORTS)) {
      for (const scheme of ['light', 'dark'] as const) {
        const p = await browser.newPage({ viewport, colorScheme: scheme });
        if (signedIn) {
          await p.addInitScript(
            ([id, secret]) =>
              sessionStorage.setItem(
                'flotilla.credentials',
                JSON.stringify({ accessKeyId: id, secretAccessKey: secret }),
              ),
            [accessKeyId, secretAccessKey],
          );
        }
        await p.goto(page.url());
        if (waitFor) await p.locator(waitFor).first().waitFor({ timeout: 15_000 });
        await opts.prepare?.(p);
        await p.waitForTimeout(300); // not networkidle: the event stream stays open
        const path = join(SHOTS, `${name}-${size}-${scheme}.png`);
        // The app's fixed header would cover the top of an element scrolled into view.
        if (opts.element) {
          await p.locator(opts.element).first().screenshot({ path, style: 'header { visibility: hidden; }' });
        } else await p.screenshot({ path, fullPage: true });
        await p.close();
      }
    }
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const config = loadConfig({
      DATABASE_URL: databaseUrl,
      FLOTILLA_STATE_DIR: stateDir,
      FLOTILLA_QUEUE_PREFIX: queuePrefix,
      FLOTILLA_RUNTIME: 'process',
      FLOTILLA_ACCESS_KEY_ID: accessKeyId,
      FLOTILLA_SECRET_ACCESS_KEY: secretAccessKey,
      FLOTILLA_CONSOLE_DIR: CONSOLE_DIST,
    });
    api = await buildApi(config);
    base = await api.fastify.listen({ host: '127.0.0.1', port: 0 });
    driver = new ProcessDriver({ stateDir: join(stateDir, 'runtime') });
    workerCatalog = createCatalog({ url: databaseUrl });
    worker = new OperationsWorker({
      catalog: workerCatalog,
      driver,
      redisUrl: config.redisUrl,
      queuePrefix,
      log: quiet,
      box: api.box, // opens the sealed CA key and control-plane password of secured clusters
    });
    await worker.start();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: VIEWPORTS.wide });
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.close(1_000);
    for (const id of (await driver?.listClusters()) ?? []) await driver.deleteCluster(id);
    await driver?.close();
    await workerCatalog?.$disconnect();
    await api?.fastify.services.queue.obliterate({ force: true });
    await api?.fastify.close();
    await dropDatabase(databaseUrl);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('serves the console at / and on deep links without a key, and keeps the API behind auth', async () => {
    const index = await fetch(`${base}/clusters/anything/topics`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${base}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${base}/api/v2/clusters`)).status).toBe(403);
  });

  it('refuses a wrong key, then signs in', async () => {
    await page.goto(base);
    await page.getByLabel('Access key ID').fill(accessKeyId);
    await page.getByLabel('Secret access key').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Sign-in failed').waitFor();
    await shoot('signin', 'text=Sign in', false);
    await page.getByLabel('Secret access key').fill(secretAccessKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('No clusters yet').waitFor();
    await shoot('clusters-empty', 'text=No clusters yet');
  });

  it('creates a cluster through the form and sees it go ACTIVE with brokers and bootstrap servers', async () => {
    await page.getByRole('link', { name: 'Create cluster' }).first().click();
    await page.getByRole('textbox', { name: 'Kafka version' }).waitFor();
    // Checked before anything is sent: a name MSK would refuse.
    await page.getByLabel('Cluster name').fill('-bad name');
    await page.getByRole('button', { name: 'Create cluster' }).click();
    await page.getByText('1-64 letters, digits and hyphens').waitFor();
    await shoot('create-cluster', 'text=Create cluster');
    await page.getByLabel('Cluster name').fill('console-e2e');
    const started = Date.now();
    await page.getByRole('button', { name: 'Create cluster' }).click();
    await page.getByTestId('cluster-name').getByText('console-e2e').waitFor();
    clusterPath = new URL(page.url()).pathname;
    await page.getByTestId('state-badge').getByText('ACTIVE').first().waitFor({ timeout: 90_000 });
    console.log(`console: cluster ACTIVE ${Date.now() - started} ms after submit`);
    const brokers = page.getByTestId('brokers-table').locator('tbody tr');
    await expect.poll(() => brokers.count(), { timeout: 20_000 }).toBe(3);
    const bootstrap = page.getByTestId('bootstrap-Plaintext');
    await bootstrap.waitFor({ timeout: 20_000 });
    expect(await bootstrap.textContent()).toMatch(/^127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){2}$/);
    await shoot('cluster', '[data-testid=brokers-table]');
    await page.getByRole('tab', { name: 'Operations' }).click();
    await page.getByTestId('operations').getByText('UPDATE COMPLETE').first().waitFor();
    await shoot('operations', '[data-testid=operations]');
    await page.goto(`${base}/`);
    await page.getByTestId('clusters-table').getByText('console-e2e').waitFor();
    await shoot('clusters', 'text=console-e2e >> visible=true');
    // Time to interactive of the clusters page: a cold page load until the cluster's row can be clicked.
    const cold = await browser.newPage({ viewport: VIEWPORTS.wide });
    await cold.addInitScript(
      ([id, secret]) =>
        sessionStorage.setItem('flotilla.credentials', JSON.stringify({ accessKeyId: id, secretAccessKey: secret })),
      [accessKeyId, secretAccessKey],
    );
    const t0 = Date.now();
    await cold.goto(base);
    await cold.getByRole('link', { name: 'console-e2e' }).filter({ visible: true }).waitFor();
    console.log(`console: clusters page interactive ${Date.now() - t0} ms after navigation (cold cache)`);
    await cold.close();
  });

  it('creates a topic and opens it', async () => {
    await page.goto(`${base}${clusterPath}/topics`);
    await page.getByRole('button', { name: 'Create topic' }).click();
    await page.getByLabel('Name').fill('orders');
    await page.getByLabel('Partitions').fill('3');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await page.getByTestId('topics-table').getByRole('link', { name: 'orders' }).waitFor({ timeout: 30_000 });
    await shoot('topics', '[data-testid=topics-table]');
    await page.getByTestId('topics-table').getByRole('link', { name: 'orders' }).click();
    await page.getByTestId('topic-name').waitFor();
    await page.getByRole('tab', { name: 'Partitions' }).click();
    await expect
      .poll(() => page.getByTestId('partitions-table').locator('tbody tr').count(), { timeout: 20_000 })
      .toBe(3);
    await page.getByRole('tab', { name: 'Messages' }).click();
    // A topic a moment old may not have its leaders everywhere yet: Read again until it answers.
    await expect
      .poll(
        async () => {
          if (await page.getByText('No messages').isVisible()) return true;
          await page.getByRole('button', { name: 'Read' }).click();
          return false;
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toBe(true);
    // Produce in the browser, then find the message in the browser's message view.
    await page.getByLabel('Key', { exact: true }).fill('order-42');
    await page.getByRole('textbox', { name: 'Value' }).fill('{"id":42,"item":"sloop"}');
    await page.getByRole('button', { name: 'Produce message' }).click();
    await page.getByText(/partition \d, offset 0/).waitFor();
    await page.getByRole('button', { name: 'Read' }).click();
    const value = page.getByTestId('message-value').first();
    await value.waitFor();
    expect(await value.textContent()).toBe('{"id":42,"item":"sloop"}');
    await page.getByText('json', { exact: true }).click();
    await expect.poll(() => value.textContent()).toContain('"item": "sloop"');
    await shoot('topic', '[data-testid=topic-name]');
  });

  it("shows a consumer group's lag and resets it after a preview", async () => {
    const clusterArn = decodeURIComponent(clusterPath.split('/')[2] ?? '');
    const brokers = await fetch(`${base}/v1/clusters/${encodeURIComponent(clusterArn)}/bootstrap-brokers`, {
      headers: { authorization: `Bearer ${accessKeyId}:${secretAccessKey}` },
    }).then((r) => r.json() as Promise<{ bootstrapBrokerString: string }>);
    const kafka = new Kafka({ brokers: brokers.bootstrapBrokerString.split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const admin = kafka.admin();
    try {
      await producer.connect();
      await producer.send({
        topic: 'orders',
        messages: Array.from({ length: 9 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
      });
      await admin.connect();
      // A group that committed offset 0 everywhere: it lags by every message (10 with the browser's).
      await admin.setOffsets({
        groupId: 'billing',
        topic: 'orders',
        partitions: [0, 1, 2].map((partition) => ({ partition, offset: '0' })),
      });
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
    await page.goto(`${base}${clusterPath}/groups`);
    await page.getByRole('button', { name: 'billing' }).click();
    await expect.poll(() => page.getByTestId('group-lag').textContent(), { timeout: 20_000 }).toBe('total lag 10');
    await page.getByRole('textbox', { name: 'To', exact: true }).click();
    await page.getByRole('option', { name: 'Latest' }).click();
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('button', { name: 'Apply reset' }).waitFor();
    await shoot('groups', 'text=Reset offsets');
    await page.getByRole('button', { name: 'Apply reset' }).click();
    await expect.poll(() => page.getByTestId('group-lag').textContent(), { timeout: 20_000 }).toBe('total lag 0');
    for (const tab of ['security', 'monitoring']) {
      await page.goto(`${base}${clusterPath}/${tab}`);
      await shoot(tab, tab === 'security' ? 'text=SCRAM users' : "text=MSK's metric names");
    }
  });
  it('creates a SASL/SCRAM + mutual TLS cluster from the form; its CA, a client certificate and a new user work with kcat', async () => {
    // The first cluster has no SCRAM: its Security tab says so and how to get a cluster that has it.
    await page.goto(`${base}${clusterPath}/security`);
    await page.getByTestId('scram-not-enabled').getByText('SASL/SCRAM is not enabled on this cluster').waitFor();
    await expect(page.getByRole('button', { name: 'Create user' }).count()).resolves.toBe(0);

    // Its link opens the form with SASL/SCRAM over TLS chosen.
    await page.getByRole('link', { name: 'Create a cluster with SASL/SCRAM' }).click();
    await page.getByRole('textbox', { name: 'Kafka version' }).waitFor();
    expect(await page.getByLabel('SASL/SCRAM authentication').isChecked()).toBe(true);
    expect(await page.getByLabel('Unauthenticated access').isChecked()).toBe(false);
    expect(await page.getByRole('radio', { name: 'TLS encryption', exact: true }).isChecked()).toBe(true);
    await page.getByLabel('Cluster name').fill('console-scram');
    await page.locator('label[for]').filter({ hasText: /^1$/ }).click(); // one zone, one broker
    expect(await page.getByLabel('IAM role-based authentication').isDisabled()).toBe(true);
    const security = page.getByTestId('security-section');
    // MSK's rules, checked before submit: SCRAM needs TLS between clients and brokers...
    await page.getByLabel('SASL/SCRAM authentication').check();
    await page.getByRole('radio', { name: 'Plaintext', exact: true }).check();
    await security.getByText('SASL/SCRAM needs TLS between clients and brokers').waitFor();
    await shoot('create-cluster-security', '[data-testid=security-section]', true, {
      element: '[data-testid=security-section]',
      prepare: async (p) => {
        await p.getByLabel('SASL/SCRAM authentication').check();
        await p.getByLabel('TLS client authentication').check();
        await p.getByRole('radio', { name: 'Plaintext', exact: true }).check();
        await p.getByText('SASL/SCRAM and TLS client authentication need TLS').waitFor();
      },
    });
    // ...and plaintext traffic is unauthenticated: it needs unauthenticated access.
    await page.getByRole('radio', { name: 'TLS and plaintext' }).check();
    await page.getByLabel('Unauthenticated access').uncheck();
    await security.getByText('Plaintext traffic is unauthenticated').waitFor();
    let sent = 0;
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/v2/clusters')) sent++;
    });
    await page.getByRole('button', { name: 'Create cluster' }).click();
    await page.waitForTimeout(300);
    expect(sent).toBe(0);
    await page.getByRole('radio', { name: 'TLS encryption', exact: true }).check();
    await page.getByLabel('TLS client authentication').check();
    expect(await page.getByLabel('TLS encryption within the cluster').isDisabled()).toBe(true); // forced on
    await expect(security.getByText('Plaintext traffic is unauthenticated').count()).resolves.toBe(0);
    const request = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/v2/clusters'));
    const started = Date.now();
    await page.getByRole('button', { name: 'Create cluster' }).click();
    const body = (await request).postDataJSON() as { provisioned: Record<string, unknown> };
    expect(body.provisioned.clientAuthentication).toEqual({
      sasl: { scram: { enabled: true }, iam: { enabled: false } },
      tls: { enabled: true, certificateAuthorityArnList: [] },
      unauthenticated: { enabled: false },
    });
    expect(body.provisioned.encryptionInfo).toEqual({ encryptionInTransit: { clientBroker: 'TLS', inCluster: true } });
    await page.getByTestId('cluster-name').getByText('console-scram').waitFor();
    const scramPath = new URL(page.url()).pathname;
    await page.getByTestId('state-badge').getByText('ACTIVE').first().waitFor({ timeout: 90_000 });
    console.log(`console: SCRAM + mTLS cluster ACTIVE ${Date.now() - started} ms after submit`);

    // Bootstrap strings for the TLS and SASL/SCRAM listeners only (no plaintext one), with settings.
    const panel = page.getByTestId('bootstrap-panel');
    const scramServers = page.getByTestId('bootstrap-SASL/SCRAM');
    await scramServers.waitFor({ timeout: 20_000 });
    const saslBootstrap = (await scramServers.textContent()) ?? '';
    const tlsBootstrap = (await page.getByTestId('bootstrap-TLS').textContent()) ?? '';
    expect(saslBootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(tlsBootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
    await expect(page.getByTestId('bootstrap-Plaintext').count()).resolves.toBe(0);
    expect(await page.getByTestId('settings-SASL/SCRAM').textContent()).toContain('sasl.mechanism=SCRAM-SHA-512');
    await panel.getByText('kcat').nth(1).click();
    expect(await page.getByTestId('settings-SASL/SCRAM').textContent()).toContain('-X security.protocol=SASL_SSL');

    // The CA, downloaded in the browser, is what kcat verifies the brokers with.
    const caDownload = page.waitForEvent('download');
    await panel.getByRole('button', { name: 'Download CA certificate' }).click();
    const ca = await caDownload;
    expect(ca.suggestedFilename()).toBe('console-scram-ca.pem');
    const caFile = join(stateDir, 'console-scram-ca.pem');
    await ca.saveAs(caFile);
    expect(readFileSync(caFile, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    await shoot('cluster-bootstrap', '[data-testid="bootstrap-SASL/SCRAM"]', true, {
      element: '[data-testid=bootstrap-panel]',
    });

    // A client certificate issued in the browser: kcat reads metadata over mutual TLS with it.
    await panel.getByRole('button', { name: 'Issue client certificate' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Common name').fill('billing');
    await dialog.getByRole('button', { name: 'Issue' }).click();
    await dialog.getByText('User:billing').waitFor();
    await dialog.screenshot({ path: join(SHOTS, 'cluster-client-certificate-wide-light.png') });
    const files: Record<string, string> = {};
    for (const [button, file] of [
      ['Certificate', 'billing.crt'],
      ['Private key', 'billing.key'],
    ] as const) {
      const download = page.waitForEvent('download');
      await dialog.getByRole('button', { name: button, exact: true }).click();
      const d = await download;
      expect(d.suggestedFilename()).toBe(file);
      files[file] = join(stateDir, file);
      await d.saveAs(files[file]);
    }
    await dialog.getByRole('button', { name: 'Done' }).click();
    const tlsClient = ['-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${caFile}`];
    const mtls = await kcat([
      '-L',
      '-b',
      tlsBootstrap,
      ...tlsClient,
      '-X',
      `ssl.certificate.location=${files['billing.crt']}`,
      '-X',
      `ssl.key.location=${files['billing.key']}`,
    ]);
    expect(mtls.stdout).toContain('1 brokers:');
    // Without a certificate the TLS listener (ssl.client.auth=required) refuses the handshake.
    const anonymous = await kcat(['-L', '-b', tlsBootstrap, ...tlsClient, '-m', '5'], 15_000);
    expect(anonymous.code).not.toBe(0);

    // A SCRAM user made in the Security tab is shown how to sign in, and does.
    await page.goto(`${base}${scramPath}/security`);
    await page.getByRole('button', { name: 'Create user' }).click();
    await dialog.getByLabel('Username').fill('alice');
    await dialog.getByLabel('Password').fill('alice-secret-1');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByTestId('scram-sign-in').waitFor();
    expect(await dialog.getByTestId('sign-in-bootstrap').textContent()).toBe(saslBootstrap);
    const settings = (await dialog.getByTestId('settings-SASL/SCRAM').textContent()) ?? '';
    expect(settings).toContain('sasl.mechanism=SCRAM-SHA-512');
    expect(settings).toContain('username="alice"');
    await dialog.screenshot({ path: join(SHOTS, 'security-user-sign-in-wide-light.png') });
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('cell', { name: 'alice' }).waitFor();
    const scram = [
      '-X',
      'security.protocol=SASL_SSL',
      '-X',
      'sasl.mechanisms=SCRAM-SHA-512',
      '-X',
      'sasl.username=alice',
      '-X',
      `ssl.ca.location=${caFile}`,
    ];
    const signedIn = await kcat(['-L', '-b', saslBootstrap, ...scram, '-X', 'sasl.password=alice-secret-1']);
    expect(signedIn.stdout).toContain('1 brokers:');
    const refused = await kcat(['-L', '-b', saslBootstrap, ...scram, '-X', 'sasl.password=wrong', '-m', '5'], 15_000);
    expect(refused.code).not.toBe(0);
    await shoot('security-scram', 'td >> text=alice');
  });
});
