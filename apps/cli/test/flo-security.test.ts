/**
 * `flo` with a secured cluster, against a control plane of real processes (API and worker started as
 * `make up` starts them, sharing the state directory and so the master key the worker needs to open the
 * cluster's control-plane credential): `clusters create --scram` ends ACTIVE, `bootstrap` prints the one
 * SASL/SCRAM string, `ca` the CA certificate that kcat then verifies the brokers with, a user made with
 * `flo users create` logs in (with kcat, and with `flo produce`/`flo consume --user`), `client-cert` is refused without mutual TLS, `delete --wait` removes it.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/errors.js';
import { type ControlPlane, flo, startControlPlane } from './control-plane.js';

let cp: ControlPlane;
const run = (...args: string[]) => flo(cp.home, args);

beforeAll(async () => {
  cp = await startControlPlane('cli-security');
  const login = await flo(
    cp.home,
    ['login', '--endpoint', cp.endpoint, '--access-key-id', cp.accessKeyId, '--secret-access-key-stdin'],
    { stdin: `${cp.secretAccessKey}\n` },
  );
  expect(login.code, login.stderr).toBe(0);
});

afterAll(async () => {
  await cp?.stop();
});

describe('flo and a SASL/SCRAM cluster', () => {
  it('create --scram, bootstrap, ca, users, a kcat login over SASL_SSL, client-cert refused, delete', async () => {
    const created = await run('clusters', 'create', 'cli-secure', '-b', '1', '--scram', '--wait', '--timeout', '2m');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toMatch(/\sformat\s+done/);

    const bootstrap = await run('clusters', 'bootstrap', 'cli-secure');
    expect(bootstrap.code, bootstrap.stderr).toBe(0);
    expect(bootstrap.stdout.trim()).toMatch(/^127\.0\.0\.1:\d+$/);
    const plaintext = await run('clusters', 'bootstrap', 'cli-secure', '--auth', 'plaintext');
    expect(plaintext.code).not.toBe(0);

    const ca = await run('clusters', 'ca', 'cli-secure');
    expect(ca.stdout).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n?$/);
    const caFile = join(cp.home, 'ca.pem');
    writeFileSync(caFile, ca.stdout);

    const user = await run('users', 'create', 'cli-secure', 'dave', '--password', 'dave-secret-1');
    expect(user.code, user.stderr).toBe(0);
    const metadata = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        'kcat',
        [
          '-L',
          '-b',
          bootstrap.stdout.trim(),
          '-m',
          '10',
          '-X',
          'security.protocol=SASL_SSL',
          '-X',
          'sasl.mechanisms=SCRAM-SHA-512',
          '-X',
          'sasl.username=dave',
          '-X',
          'sasl.password=dave-secret-1',
          '-X',
          `ssl.ca.location=${caFile}`,
        ],
        { timeout: 30_000 },
        (error, stdout) => resolve({ code: error ? 1 : 0, stdout }),
      );
    });
    expect(metadata.code).toBe(0);
    expect(metadata.stdout).toMatch(/1 brokers:/);

    // flo's own quick checks log in too: without --user the cluster says how, with it they round-trip.
    expect((await run('topics', 'create', 'cli-secure', 'greetings', '--partitions', '1')).code).toBe(0);
    const anonymous = await run('produce', 'cli-secure', 'greetings', '-v', 'hello');
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/SASL\/SCRAM logins only/);
    const produced = await flo(cp.home, ['produce', 'cli-secure', 'greetings', '--user', 'dave', '-v', 'hello scram'], {
      env: { FLO_SASL_PASSWORD: 'dave-secret-1' },
    });
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await run(
      'consume',
      'cli-secure',
      'greetings',
      '--user',
      'dave',
      '--password',
      'dave-secret-1',
      '-n',
      '1',
    );
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout.trim()).toBe('hello scram');
    const wrong = await run('produce', 'cli-secure', 'greetings', '--user', 'dave', '--password', 'wrong', '-v', 'x');
    expect(wrong.code).toBe(ExitCode.AUTH);
    expect(wrong.stderr).toMatch(/SASL SCRAM SHA512 authentication failed/);

    const cert = await run('clusters', 'client-cert', 'cli-secure', 'erin');
    expect(cert.code).not.toBe(0);
    expect(cert.stderr).toMatch(/TLS client authentication/);

    const deleted = await run('clusters', 'delete', 'cli-secure', '--wait', '--timeout', '90s');
    expect(deleted.code, deleted.stderr).toBe(0);
  }, 240_000);
});
