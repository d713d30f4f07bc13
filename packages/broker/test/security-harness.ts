/**
 * What the security tests share: test certificates made with the openssl CLI (a CA, a broker
 * certificate for 127.0.0.1/localhost with an encrypted key, client certificates named by CN), SCRAM
 * users seeded with `flotilla-broker format --add-scram`, and a broker with one listener per security
 * protocol and Kafka's StandardAuthorizer on.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BrokerProcess, run, startBrokerProcess } from './harness.js';

const MAIN = new URL('../dist/main.js', import.meta.url).pathname;

export interface Certificates {
  readonly dir: string;
  readonly ca: string;
  /** PEM keystore file of the broker: encrypted private key and certificate. */
  readonly brokerKeystore: string;
  readonly brokerKeyPassword: string;
  client(cn: string): { cert: string; key: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

export function makeCertificates(dir: string, clients: readonly string[]): Certificates {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=Flotilla Test CA',
    ],
    dir,
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=localhost'],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'broker.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'broker.pem',
      '-days',
      '2',
      '-extfile',
      'san.ext',
    ],
    dir,
  );
  const brokerKeyPassword = 'broker-key-secret';
  openssl(
    [
      'pkcs8',
      '-topk8',
      '-v2',
      'aes-256-cbc',
      '-in',
      'broker.key',
      '-out',
      'broker.enc.key',
      '-passout',
      `pass:${brokerKeyPassword}`,
    ],
    dir,
  );
  execFileSync('sh', ['-c', 'cat broker.enc.key broker.pem > broker-keystore.pem'], { cwd: dir });
  for (const cn of clients) {
    openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${cn}.key`,
        '-out',
        `${cn}.csr`,
        '-subj',
        `/O=Flotilla/CN=${cn}`,
      ],
      dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${cn}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${cn}.pem`,
        '-days',
        '2',
      ],
      dir,
    );
  }
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    brokerKeystore: join(dir, 'broker-keystore.pem'),
    brokerKeyPassword,
    client: (cn) => ({ cert: join(dir, `${cn}.pem`), key: join(dir, `${cn}.key`) }),
  };
}

/** `flotilla-broker format --add-scram ...` on a fresh log directory. */
export function formatWithScram(logDir: string, specs: readonly string[]): Promise<string> {
  return run(process.execPath, [
    MAIN,
    'format',
    '--override',
    'node.id=1',
    '--override',
    `log.dirs=${logDir}`,
    ...specs.flatMap((s) => ['--add-scram', s]),
  ]);
}

export interface SecureBroker extends BrokerProcess {
  /** host:port of each listener, by listener name. */
  readonly endpoints: Readonly<Record<string, string>>;
}

export const STANDARD_AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';

/**
 * A broker with PLAINTEXT, SASL_PLAINTEXT, SASL_SSL, SSL (client certificates required) and REAUTH
 * (SASL_PLAINTEXT with connections.max.reauth.ms) listeners and the authorizer on.
 */
export async function startSecureBroker(
  logDir: string,
  certs: Certificates,
  overrides: Record<string, string> = {},
): Promise<SecureBroker> {
  const broker = await startBrokerProcess({
    logDir,
    overrides: {
      listeners:
        'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SSL://127.0.0.1:0,REAUTH://127.0.0.1:0',
      'listener.security.protocol.map':
        'PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL,REAUTH:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config':
        'org.apache.kafka.common.security.plain.PlainLoginModule required user_plainuser="plain-secret";',
      'listener.name.reauth.connections.max.reauth.ms': '1500',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.brokerKeystore,
      'ssl.key.password': certs.brokerKeyPassword,
      'ssl.truststore.location': certs.ca,
      'listener.name.ssl.ssl.client.auth': 'required',
      'authorizer.class.name': STANDARD_AUTHORIZER,
      'super.users': 'User:admin',
      'auto.create.topics.enable': 'false',
      'num.partitions': '1',
      ...overrides,
    },
  });
  const line = /listening on (\S+)/.exec(broker.output())?.[1] ?? '';
  const endpoints: Record<string, string> = {};
  for (const e of line.replace(/,$/, '').split(',')) {
    const m = /^([A-Z_]+):\/\/(.+)$/.exec(e);
    if (m) endpoints[m[1] as string] = m[2] as string;
  }
  return { ...broker, endpoints };
}
