/**
 * The built `flo` binary, run as a child process against a real control plane (API and worker
 * processes, Postgres, Redis, brokers as local processes): login, a cluster's whole life (create with
 * --wait, describe, list, bootstrap, delete), a produce/consume round trip through its brokers, the
 * table/json/yaml outputs, and the exit codes of bad input. One cluster of three brokers serves every
 * test, so they run in order.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { type ControlPlane, flo, floBackground, startControlPlane } from './control-plane.js';

let cp: ControlPlane;
const CLUSTER = 'cli-e2e';

beforeAll(async () => {
  cp = await startControlPlane('cli');
});

afterAll(async () => {
  await cp?.stop();
});

/** flo with the test's HOME, where `flo login` saved the profile. */
const run = (...args: string[]) => flo(cp.home, args);

describe('flo', () => {
  it('without credentials, says so and exits 3; with an unreachable endpoint, exits 7', async () => {
    const none = await run('clusters', 'list');
    expect(none.code).toBe(3);
    expect(none.stderr).toContain("no credentials for profile 'default'");
    expect(none.stderr).toContain('flo login');

    const unreachable = await flo(cp.home, ['--endpoint', 'http://127.0.0.1:1', 'clusters', 'list'], {
      env: { FLOTILLA_ACCESS_KEY_ID: cp.accessKeyId, FLOTILLA_SECRET_ACCESS_KEY: cp.secretAccessKey },
    });
    expect(unreachable.code).toBe(7);
    expect(unreachable.stderr).toContain('NetworkError: cannot reach http://127.0.0.1:1');
  });

  it('login refuses a wrong secret (exit 3, nothing written), then saves the key and endpoint as an AWS profile', async () => {
    const credentialsFile = join(cp.home, '.aws', 'credentials');
    const wrong = await flo(
      cp.home,
      ['login', '--endpoint', cp.endpoint, '--access-key-id', cp.accessKeyId, '--secret-access-key-stdin'],
      { stdin: 'not-the-secret\n' },
    );
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('InvalidSignatureException');
    expect(existsSync(credentialsFile)).toBe(false);

    const ok = await flo(
      cp.home,
      ['login', '--endpoint', cp.endpoint, '--access-key-id', cp.accessKeyId, '--secret-access-key-stdin'],
      { stdin: `${cp.secretAccessKey}\n` },
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain(`Logged in to ${cp.endpoint} as ${cp.accessKeyId}`);
    expect(readFileSync(credentialsFile, 'utf8')).toBe(
      `[default]\naws_access_key_id = ${cp.accessKeyId}\naws_secret_access_key = ${cp.secretAccessKey}\n` +
        `region = us-east-1\nendpoint_url = ${cp.endpoint}\n`,
    );
    expect(statSync(credentialsFile).mode & 0o777).toBe(0o600);

    // --from copies the key of a credentials file such as the one `make up` writes, into another profile.
    const madeByMakeUp = join(cp.home, 'make-up-credentials');
    writeFileSync(
      madeByMakeUp,
      `[default]\naws_access_key_id = ${cp.accessKeyId}\naws_secret_access_key = ${cp.secretAccessKey}\nregion = us-east-1\n`,
    );
    const fromFile = await run('login', '--endpoint', cp.endpoint, '--from', madeByMakeUp, '--profile', 'local');
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect((await run('--profile', 'local', 'whoami')).stdout).toMatch(/^Key:\s+accepted$/m);
    expect((await run('--profile', 'nobody', 'whoami')).code).toBe(3);

    const whoami = await run('whoami', '-o', 'json');
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toEqual({
      endpoint: cp.endpoint,
      profile: 'default',
      region: 'us-east-1',
      accessKeyId: cp.accessKeyId,
      source: credentialsFile,
      check: 'accepted',
    });
  });

  it('clusters create --wait, with a configuration made by flo, shows each step and ends ACTIVE', async () => {
    // The brokers' authorizer on (everyone allowed where no ACL names a resource), so ACLs work later.
    const configuration = await run(
      'configurations',
      'create',
      'cli-authz',
      '--set',
      'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      '--set',
      'allow.everyone.if.no.acl.found=true',
      '-o',
      'json',
    );
    expect(configuration.code, configuration.stderr).toBe(0);
    const configurationArn = JSON.parse(configuration.stdout).arn as string;
    const described = await run('configurations', 'describe', configurationArn);
    expect(described.stdout).toMatch(/^Latest revision:\s+1$/m);
    expect(described.stdout).toContain(
      '\nauthorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n',
    );

    const created = await run(
      'clusters',
      'create',
      CLUSTER,
      '--brokers',
      '3',
      '--kafka-version',
      '3.8.x',
      '--configuration',
      `${configurationArn}:1`,
      '--wait',
      '--timeout',
      '2m',
    );
    expect(created.code, created.stderr).toBe(0);
    // Progress on stderr, step by step; the result on stdout.
    for (const step of ['plan', 'brokers', 'wait-for-brokers', 'round-trip', 'activate']) {
      expect(created.stderr).toMatch(new RegExp(`\\s${step}\\s+done`));
    }
    expect(created.stderr).toMatch(/CREATE UPDATE_COMPLETE in \d+\.\ds/);
    expect(created.stdout).toMatch(/^Name:\s+cli-e2e$/m);
    expect(created.stdout).toMatch(/^State:\s+ACTIVE$/m);
    expect(created.stdout).toMatch(/^Brokers:\s+3$/m);
    console.log(`flo clusters create --wait (3 brokers, process driver): ${created.ms} ms`);

    // Already ACTIVE: wait returns at once.
    const waited = await run('clusters', 'wait', CLUSTER);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toMatch(/^State:\s+ACTIVE$/m);
  });

  it('bash completion, generated from the command tree, completes commands and options', async () => {
    const script = await run('completion', 'bash');
    expect(script.code).toBe(0);
    const complete = (words: string[]) =>
      new Promise<string>((resolve, reject) => {
        const line = `COMP_WORDS=(${words.join(' ')}); COMP_CWORD=${words.length - 1}; _flo; echo "\${COMPREPLY[*]}"`;
        const bash = spawn('bash', ['-c', `${script.stdout}\n${line}`], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        bash.stdout.on('data', (c: Buffer) => {
          out += c.toString();
        });
        bash.once('error', reject);
        bash.once('close', () => resolve(out.trim()));
      });
    expect(await complete(['flo', 'clusters', 'cr'])).toBe('create');
    expect(await complete(['flo', 'clusters', 'create', '--w'])).toBe('--wait');
    expect(await complete(['flo', '-o', 'json', 'groups', 're'])).toBe('reset-offsets');
  });

  it('clusters list and describe in table, json and yaml', async () => {
    const list = await run('clusters', 'list');
    expect(list.code).toBe(0);
    const [header, row, ...rest] = list.stdout.trimEnd().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual(['NAME', 'STATE', 'VERSION', 'BROKERS', 'TYPE', 'AGE', 'ARN']);
    expect(row?.split(/\s{2,}/).slice(0, 5)).toEqual(['cli-e2e', 'ACTIVE', '3.8.x', '3', 'kafka.t3.small']);
    expect(rest).toEqual([]);

    const json = JSON.parse((await run('clusters', 'list', '-o', 'json')).stdout);
    expect(json.clusterInfoList).toHaveLength(1);
    expect(json.clusterInfoList[0]).toMatchObject({ clusterName: CLUSTER, state: 'ACTIVE' });
    const arn = json.clusterInfoList[0].clusterArn as string;

    // By ARN or by name, the same cluster; yaml carries the API's answer as json does.
    const yaml = YAML.parse((await run('clusters', 'describe', arn, '--output', 'yaml')).stdout);
    const byName = JSON.parse((await run('-o', 'json', 'clusters', 'describe', CLUSTER)).stdout);
    expect(yaml).toEqual(byName);
    expect(byName.clusterInfo).toMatchObject({
      clusterArn: arn,
      provisioned: { numberOfBrokerNodes: 3, currentBrokerSoftwareInfo: { kafkaVersion: '3.8.x' } },
    });

    const nodes = await run('clusters', 'nodes', CLUSTER);
    expect(nodes.code).toBe(0);
    expect(
      nodes.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['1', '2', '3']);

    const ops = await run('operations', 'list', CLUSTER);
    expect(ops.stdout).toMatch(/^CREATE\s+UPDATE_COMPLETE\s/m);
  });

  it('bootstrap prints the brokers string; produce and consume round-trip through it', async () => {
    const bootstrap = await run('clusters', 'bootstrap', CLUSTER);
    expect(bootstrap.code).toBe(0);
    expect(bootstrap.stdout.trim()).toMatch(/^127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){2}$/);

    const topic = await run('topics', 'create', CLUSTER, 'cli-orders', '--partitions', '3');
    expect(topic.code, topic.stderr).toBe(0);
    expect(topic.stdout).toMatch(/^Topic:\s+cli-orders$/m);

    // Clusters run with auto.create.topics.enable=false, as MSK: flo says so at once, not after retries.
    const noTopic = await flo(cp.home, ['produce', CLUSTER, 'no-such-topic', '-v', 'x']);
    expect(noTopic.code).toBe(4);
    expect(noTopic.stderr).toContain(
      `no topic no-such-topic on the cluster\n  create it: flo topics create ${CLUSTER} no-such-topic`,
    );

    const messages = Array.from({ length: 20 }, (_, i) => `order-${i}`);
    const produced = await flo(cp.home, ['produce', CLUSTER, 'cli-orders'], { stdin: `${messages.join('\n')}\n` });
    expect(produced.code, produced.stderr).toBe(0);
    expect(produced.stdout).toMatch(/^Messages:\s+20$/m);

    const consumed = await run('consume', CLUSTER, 'cli-orders', '-n', '20', '--group', 'cli-readers', '-o', 'json');
    expect(consumed.code, consumed.stderr).toBe(0);
    const received = consumed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { value: string; topic: string; offset: number });
    expect(received.map((m) => m.value).sort()).toEqual([...messages].sort());
    expect(consumed.stderr).toContain('20 messages from cli-orders');
    // The same records through the API, without a Kafka client.
    const viaApi = JSON.parse(
      (await run('topics', 'messages', CLUSTER, 'cli-orders', '-n', '100', '-o', 'json')).stdout,
    );
    expect(viaApi.messages.map((m: { value: string }) => m.value).sort()).toEqual([...messages].sort());
    console.log(
      `flo produce (20 messages): ${produced.ms} ms; flo consume (20 messages, new group): ${consumed.ms} ms`,
    );
  });

  it('topics, consumer groups (lag, reset-offsets), SCRAM users refused without SCRAM, and ACLs', async () => {
    const topic = JSON.parse((await run('topics', 'describe', CLUSTER, 'cli-orders', '-o', 'json')).stdout);
    expect(topic).toMatchObject({ topicName: 'cli-orders', partitionCount: 3, replicationFactor: 3 });
    expect(topic.partitions.map((p: { isr: number[] }) => p.isr.length)).toEqual([3, 3, 3]);
    const topics = await run('topics', 'list', CLUSTER);
    expect(topics.stdout).toMatch(/^cli-orders\s+3\s+3\s+0$/m);

    // The consumer above committed every offset and left: no lag, and its offsets can be moved.
    expect((await run('groups', 'list', CLUSTER)).stdout).toMatch(/^cli-readers\s+Empty\s+consumer$/m);
    const before = JSON.parse((await run('groups', 'describe', CLUSTER, 'cli-readers', '-o', 'json')).stdout);
    expect(before.totalOffsetLag).toBe(0);
    const preview = await run('groups', 'reset-offsets', CLUSTER, 'cli-readers', '--to-earliest', '--dry-run');
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stderr).toContain('dry run: nothing changed');
    expect(preview.stdout.trim().split('\n')[0]?.split(/\s+/)).toEqual(['TOPIC', 'PARTITION', 'FROM', 'TO']);
    expect((await run('groups', 'describe', CLUSTER, 'cli-readers')).stdout).toMatch(/^Total lag:\s+0$/m);
    expect((await run('groups', 'reset-offsets', CLUSTER, 'cli-readers', '--to-earliest')).code).toBe(0);
    expect((await run('groups', 'describe', CLUSTER, 'cli-readers')).stdout).toMatch(/^Total lag:\s+20$/m);
    expect((await run('groups', 'reset-offsets', CLUSTER, 'cli-readers')).code).toBe(2);

    // This cluster has no SASL/SCRAM (users on a SCRAM cluster: flo-security.test.ts): refused, with why.
    const user = await flo(cp.home, ['users', 'create', CLUSTER, 'alice', '--password-stdin'], {
      stdin: 'a-long-enough-password\n',
    });
    expect(user.code, user.stderr).toBe(2);
    expect(user.stderr).toMatch(/BadRequestException: Cluster cli-e2e does not have SASL\/SCRAM client authentication/);
    expect(user.stderr).toContain('flo clusters update-security NAME --scram');
    expect(user.stderr).toContain('flo clusters create NAME --scram');
    const rotate = await run('users', 'rotate', CLUSTER, 'alice', '--password', 'another-long-password');
    expect(rotate.code, rotate.stderr).toBe(2);
    expect(rotate.stderr).toContain('--scram');
    expect((await run('users', 'list', CLUSTER)).stdout.trim()).toBe('No users.');

    const aclArgs = ['--principal', 'User:alice', '--resource-type', 'topic', '--resource-name', 'cli-orders'];
    const acl = await run('acls', 'create', CLUSTER, '--operation', 'read', ...aclArgs);
    expect(acl.code, acl.stderr).toBe(0);
    const acls = JSON.parse((await run('acls', 'list', CLUSTER, '-o', 'json')).stdout);
    expect(acls.acls).toEqual([
      {
        principal: 'User:alice',
        permissionType: 'ALLOW',
        operation: 'READ',
        resourceType: 'TOPIC',
        resourceName: 'cli-orders',
        patternType: 'LITERAL',
        host: '*',
      },
    ]);
    // No filter would delete every ACL: flo wants --all for that.
    expect((await run('acls', 'delete', CLUSTER)).code).toBe(2);
    const deleted = await run('acls', 'delete', CLUSTER, ...aclArgs);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toMatch(/^User:alice\s+ALLOW\s+READ\s+TOPIC\s+cli-orders/m);

    expect((await run('topics', 'delete', CLUSTER, 'cli-orders')).code).toBe(0);
  });

  it('reboot-broker --wait restarts one broker through a recorded operation', async () => {
    const rebooted = await run('clusters', 'reboot-broker', CLUSTER, '2', '--wait', '--timeout', '2m');
    expect(rebooted.code, rebooted.stderr).toBe(0);
    expect(rebooted.stderr).toMatch(/^REBOOT_NODE arn:aws:kafka:/m);
    expect(rebooted.stdout).toMatch(/^State:\s+UPDATE_COMPLETE$/m);
    expect((await run('clusters', 'describe', CLUSTER)).stdout).toMatch(/^State:\s+ACTIVE$/m);
    console.log(`flo clusters reboot-broker --wait: ${rebooted.ms} ms`);
  });

  it('health, metrics and alarms', async () => {
    const health = await run('health', CLUSTER, '-o', 'json');
    expect(health.code, health.stderr).toBe(0);
    expect(['HEALTHY', 'DEGRADED', 'UNHEALTHY', 'UNKNOWN']).toContain(JSON.parse(health.stdout).status);
    expect((await run('metrics', CLUSTER)).code).toBe(0);
    const monitoring = await run('clusters', 'update-monitoring', CLUSTER, '--level', 'PER_BROKER', '--wait');
    expect(monitoring.code, monitoring.stderr).toBe(0);
    expect((await run('clusters', 'describe', CLUSTER)).stdout).toMatch(/^Monitoring:\s+PER_BROKER$/m);

    const put = await run('alarms', 'put', CLUSTER, 'lag', '--metric', 'MaxOffsetLag', '--threshold', '1000');
    expect(put.code, put.stderr).toBe(0);
    expect((await run('alarms', 'list', CLUSTER)).stdout).toMatch(/^lag\s+MaxOffsetLag\s+> 1000\s/m);
    const badMetric = await run('alarms', 'put', CLUSTER, 'x', '--metric', 'Nope', '--threshold', '1');
    expect(badMetric.code).toBe(2);
    expect((await run('alarms', 'delete', CLUSTER, 'lag')).code).toBe(0);
    expect((await run('alarms', 'list', CLUSTER)).stdout.trim()).toBe('No alarms.');
  });

  it("bad input: exit codes and the API's own message", async () => {
    const badName = await run('clusters', 'create', 'bad name!');
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/^flo: BadRequestException: .*\(clusterName\)$/m);

    const taken = await run('clusters', 'create', CLUSTER, '--brokers', '3');
    expect(taken.code).toBe(5);
    expect(taken.stderr).toContain('ConflictException');

    const missing = await run('clusters', 'describe', 'no-such-cluster');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('no cluster named no-such-cluster');

    const missingArn = await run(
      'clusters',
      'describe',
      'arn:aws:kafka:us-east-1:000000000000:cluster/none/00000000-0000-0000-0000-000000000000-1',
    );
    expect(missingArn.code).toBe(4);
    expect(missingArn.stderr).toContain('NotFoundException');

    const zero = await run('clusters', 'create', 'x', '--brokers', '0');
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--brokers must be a positive whole number, got 0');

    const format = await run('clusters', 'list', '-o', 'xml');
    expect(format.code).toBe(2);
    expect(format.stderr).toContain("argument 'xml' is invalid");

    const unknown = await run('clusters', 'frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");

    const noArg = await run('clusters', 'describe');
    expect(noArg.code).toBe(2);
    expect(noArg.stderr).toContain("missing required argument 'cluster'");

    const stale = await run('clusters', 'delete', CLUSTER, '--current-version', 'K0000000000');
    // MSK answers a stale currentVersion with BadRequestException (older builds of our API said
    // ConflictException); flo makes either exit 5, a conflict.
    expect(stale.code).toBe(5);
    expect(stale.stderr).toMatch(
      /(BadRequest|Conflict)Exception: The cluster's current version is \S+, not K0000000000.*\(currentVersion\)/,
    );

    // UpdateSecurity: nothing to change is flo's own usage error; SCRAM over PLAINTEXT is the API's refusal.
    const nothing = await run('clusters', 'update-security', CLUSTER);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('give what to change');
    const scramPlain = await run('clusters', 'update-security', CLUSTER, '--scram', '--client-broker', 'PLAINTEXT');
    expect(scramPlain.code).toBe(2);
    expect(scramPlain.stderr).toMatch(/^flo: BadRequestException: SASL\/SCRAM .*TLS.*\(encryptionInfo\)$/m);
    const same = await run('clusters', 'update-security', CLUSTER, '--client-broker', 'PLAINTEXT');
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('does not include any updates to the security setting');

    const help = await run('clusters', 'create', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('flo clusters create orders --brokers 3 --wait');
  });

  it('clusters delete --wait removes the cluster; list then says there are none', async () => {
    // The API's event stream, watched through flo while the cluster goes.
    const events = floBackground(cp.home, ['events', '--cluster', CLUSTER, '-o', 'json']);
    await events.waitFor('streaming events from');
    const deleted = await run('clusters', 'delete', CLUSTER, '--wait', '--timeout', '90s');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(await events.interrupt()).toBe(0);
    const seen = events.output.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(seen.filter((e) => e.type === 'cluster').map((e) => e.state)).toEqual(['DELETING', 'DELETED']);
    expect(seen).toContainEqual(
      expect.objectContaining({ type: 'operation', operationType: 'DELETE', operationState: 'UPDATE_COMPLETE' }),
    );
    expect(deleted.stdout).toMatch(/^State:\s+DELETED$/m);
    const list = await run('clusters', 'list');
    expect(list.stdout.trim()).toBe('No clusters. Create one: flo clusters create NAME');
    expect(JSON.parse((await run('clusters', 'list', '-o', 'json')).stdout)).toEqual({ clusterInfoList: [] });
  });
});
