/**
 * `flo clusters`: MSK's cluster calls (CreateClusterV2, ListClustersV2, DescribeClusterV2, ListNodes,
 * GetBootstrapBrokers, DeleteCluster) and the day-2 updates (UpdateBrokerCount, UpdateBrokerStorage,
 * UpdateBrokerType, UpdateClusterKafkaVersion, UpdateClusterConfiguration, UpdateSecurity, RebootBroker). Clusters are
 * named by ARN or by name; updates read the cluster's currentVersion themselves unless given one.
 */
import {
  type Cluster,
  type ClusterOperationStarted,
  type ConfigurationInfo,
  SdkError,
  waitForCluster,
} from '@flotilla/sdk';
import { type Command, Option } from 'commander';
import type { Context, Io } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { followOperation, parseDuration } from '../follow.js';
import { fields, table, text, type View } from '../output.js';
import { action, examples, group } from '../program.js';

const age = (iso: string) => {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 120
    ? `${s}s`
    : s < 7200
      ? `${Math.round(s / 60)}m`
      : s < 172_800
        ? `${Math.round(s / 3600)}h`
        : `${Math.round(s / 86_400)}d`;
};

export function clusterRows(clusters: readonly Cluster[]) {
  return table(
    clusters,
    clusters,
    [
      { header: 'NAME', value: (c) => c.clusterName },
      { header: 'STATE', value: (c) => c.state },
      { header: 'VERSION', value: (c) => c.provisioned?.currentBrokerSoftwareInfo?.kafkaVersion },
      { header: 'BROKERS', value: (c) => c.provisioned?.numberOfBrokerNodes },
      { header: 'TYPE', value: (c) => c.provisioned?.brokerNodeGroupInfo.instanceType },
      { header: 'AGE', value: (c) => age(c.creationTime) },
      { header: 'ARN', value: (c) => c.clusterArn },
    ],
    'No clusters. Create one: flo clusters create NAME',
  );
}

export function clusterFields(cluster: Cluster, after?: View): View {
  const p = cluster.provisioned;
  const storage = p?.brokerNodeGroupInfo.storageInfo?.ebsStorageInfo?.volumeSize;
  return fields(
    { clusterInfo: cluster },
    [
      ['Name', cluster.clusterName],
      ['ARN', cluster.clusterArn],
      ['State', cluster.state],
      [
        'State info',
        cluster.stateInfo ? [cluster.stateInfo.code, cluster.stateInfo.message].filter(Boolean).join(': ') : undefined,
      ],
      ['Kafka version', p?.currentBrokerSoftwareInfo?.kafkaVersion],
      ['Brokers', p?.numberOfBrokerNodes],
      ['Broker type', p?.brokerNodeGroupInfo.instanceType],
      ['Storage (GiB)', storage],
      ['Subnets', p?.brokerNodeGroupInfo.clientSubnets],
      [
        'Configuration',
        p?.currentBrokerSoftwareInfo?.configurationArn
          ? `${p.currentBrokerSoftwareInfo.configurationArn} revision ${p.currentBrokerSoftwareInfo.configurationRevision}`
          : undefined,
      ],
      ['Monitoring', p?.enhancedMonitoring],
      ['Current version', cluster.currentVersion],
      ['Active operation', cluster.activeOperationArn],
      ['Created', cluster.creationTime],
      ['Tags', cluster.tags && Object.keys(cluster.tags).length ? cluster.tags : undefined],
    ],
    after,
  );
}

/** `arn` or `arn:revision` (a configuration ARN has no trailing number of its own). */
export function parseConfigurationRef(value: string): ConfigurationInfo {
  const m = /^(arn:.+?)(?::(\d+))?$/.exec(value);
  if (!m?.[1]) throw new CliError(`--configuration wants ARN[:REVISION], got ${value}`, ExitCode.USAGE);
  return { arn: m[1], revision: m[2] ? Number(m[2]) : 1 };
}

function parseTags(values: readonly string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const tags: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new CliError(`--tag wants KEY=VALUE, got ${v}`, ExitCode.USAGE);
    tags[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return tags;
}

const collectValues = (value: string, previous: string[] = []) => [...previous, value];

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`${name} must be a positive whole number, got ${value}`, ExitCode.USAGE);
  return n;
}

/** Subnets for N brokers: MSK wants 1 to 3, with N a multiple of their number (one per zone). */
function defaultSubnets(brokers: number): string[] {
  const zones = [3, 2, 1].find((z) => brokers % z === 0 && brokers >= z) ?? 1;
  return Array.from({ length: zones }, (_, i) => `subnet-${i + 1}`);
}

const waitOptions = (command: Command) =>
  command
    .option('--wait', 'follow the operation step by step until it ends')
    .option('--timeout <duration>', 'how long --wait waits (e.g. 90s, 10m)', '10m');

/** Runs an update (it needs the cluster's currentVersion) and, with --wait, follows its operation. */
async function update(
  ctx: Context,
  nameOrArn: string,
  options: Record<string, unknown>,
  call: (arn: string, currentVersion: string) => Promise<ClusterOperationStarted>,
): Promise<View> {
  const cluster = await ctx.cluster(nameOrArn);
  const started = await call(
    cluster.clusterArn,
    (options.currentVersion as string | undefined) ?? cluster.currentVersion,
  );
  if (!options.wait) {
    return fields(started, [
      ['Cluster', started.clusterArn],
      ['Operation', started.clusterOperationArn],
      ['Follow it', `flo operations watch ${started.clusterOperationArn}`],
    ]);
  }
  const op = await followOperation(ctx, started.clusterOperationArn, {
    timeoutMs: parseDuration(options.timeout as string),
  });
  return fields({ clusterOperationInfo: op }, [
    ['Operation', op.operationArn],
    ['Type', op.operationType],
    ['State', op.operationState],
  ]);
}

/** MSK's clientAuthentication / encryptionInfo from the create options (the API checks the combination). */
function securityOptions(o: Record<string, unknown>) {
  const authenticated = Boolean(o.scram || o.tlsAuth);
  const clientAuthentication = authenticated
    ? {
        ...(o.scram ? { sasl: { scram: { enabled: true } } } : {}),
        ...(o.tlsAuth ? { tls: { enabled: true } } : {}),
        ...(o.unauthenticated ? { unauthenticated: { enabled: true } } : {}),
      }
    : undefined;
  const transit =
    o.clientBroker !== undefined || o.inClusterTls === false
      ? {
          ...(o.clientBroker ? { clientBroker: o.clientBroker as string } : {}),
          inCluster: o.inClusterTls !== false,
        }
      : undefined;
  return {
    ...(clientAuthentication ? { clientAuthentication } : {}),
    ...(transit ? { encryptionInfo: { encryptionInTransit: transit } } : {}),
  };
}

/**
 * UpdateSecurity's settings from the options: the authentication options, when any is given, are the
 * cluster's whole new client authentication (as MSK reads clientAuthentication); none given leaves it.
 */
function securityUpdate(o: Record<string, unknown>) {
  const authenticated = Boolean(o.scram || o.tlsAuth);
  const clientAuthentication =
    authenticated || o.unauthenticated
      ? {
          ...(o.scram ? { sasl: { scram: { enabled: true } } } : {}),
          ...(o.tlsAuth ? { tls: { enabled: true } } : {}),
          ...(o.unauthenticated ? { unauthenticated: { enabled: true } } : {}),
        }
      : undefined;
  const clientBroker =
    (o.clientBroker as 'TLS' | 'TLS_PLAINTEXT' | 'PLAINTEXT' | undefined) ?? (authenticated ? 'TLS' : undefined);
  if (!clientAuthentication && !clientBroker) {
    throw new CliError(
      'give what to change: --scram, --tls-auth, --unauthenticated and/or --client-broker',
      ExitCode.USAGE,
    );
  }
  return {
    ...(clientAuthentication ? { clientAuthentication } : {}),
    ...(clientBroker ? { encryptionInfo: { encryptionInTransit: { clientBroker } } } : {}),
  };
}

export function registerClusters(program: Command, io: Io): void {
  const clusters = group(program, 'clusters', 'create, inspect, change and delete clusters').alias('cluster');

  examples(
    waitOptions(
      clusters
        .command('create')
        .description('create a provisioned cluster (CreateClusterV2)')
        .argument('<name>', 'cluster name: letters, digits and hyphens')
        .option('-b, --brokers <count>', 'number of brokers', '3')
        .option('--kafka-version <version>', 'Kafka version (flo versions list; default: the newest active)')
        .option('--broker-type <type>', 'broker type (MSK instance types: CPU and memory per broker)', 'kafka.t3.small')
        .option('--storage <GiB>', 'volume size per broker in GiB')
        .option('--subnets <list>', 'comma-separated client subnets (zones); brokers must be a multiple of their count')
        .option(
          '--configuration <arn[:revision]>',
          'a configuration (flo configurations list) to start the brokers with',
        )
        .addOption(
          new Option('--monitoring <level>', 'enhanced monitoring level').choices([
            'DEFAULT',
            'PER_BROKER',
            'PER_TOPIC_PER_BROKER',
            'PER_TOPIC_PER_PARTITION',
          ]),
        )
        .option('--tag <key=value>', 'a tag (repeat for more)', collectValues)
        .option('--scram', 'clients authenticate with SASL/SCRAM (flo users create; needs TLS)')
        .option(
          '--tls-auth',
          'clients authenticate with TLS certificates from the cluster CA (flo clusters client-cert)',
        )
        .option('--unauthenticated', 'also let unauthenticated clients in (with --scram or --tls-auth)')
        .addOption(
          new Option(
            '--client-broker <mode>',
            'encryption between clients and brokers (default PLAINTEXT, or TLS with --scram/--tls-auth)',
          ).choices(['TLS', 'TLS_PLAINTEXT', 'PLAINTEXT']),
        )
        .option('--no-in-cluster-tls', 'no TLS between brokers (only without --scram/--tls-auth)'),
    ).action(
      action(io, async (ctx, [name], o) => {
        const brokers = positiveInt('--brokers', o.brokers as string);
        let kafkaVersion = o.kafkaVersion as string | undefined;
        if (!kafkaVersion) {
          const { kafkaVersions } = await ctx.client.listKafkaVersions();
          kafkaVersion = kafkaVersions.filter((v) => v.status === 'ACTIVE').at(-1)?.version;
          if (!kafkaVersion) throw new CliError('the server lists no active Kafka version', ExitCode.ERROR);
        }
        const tags = parseTags(o.tag as string[] | undefined);
        const created = await ctx.client.createClusterV2({
          clusterName: name as string,
          ...(tags ? { tags } : {}),
          provisioned: {
            kafkaVersion,
            numberOfBrokerNodes: brokers,
            brokerNodeGroupInfo: {
              instanceType: o.brokerType as string,
              clientSubnets: o.subnets
                ? (o.subnets as string).split(',').map((s) => s.trim())
                : defaultSubnets(brokers),
              ...(o.storage
                ? { storageInfo: { ebsStorageInfo: { volumeSize: positiveInt('--storage', o.storage as string) } } }
                : {}),
            },
            ...(o.configuration ? { configurationInfo: parseConfigurationRef(o.configuration as string) } : {}),
            ...(o.monitoring ? { enhancedMonitoring: o.monitoring as 'DEFAULT' } : {}),
            ...securityOptions(o),
          },
        });
        if (!o.wait) {
          return fields(created, [
            ['Name', created.clusterName],
            ['ARN', created.clusterArn],
            ['State', created.state],
            ['Wait for it', `flo clusters wait ${created.clusterName}`],
          ]);
        }
        const pending = await ctx.client.describeClusterV2(created.clusterArn);
        if (pending.activeOperationArn) {
          await followOperation(ctx, pending.activeOperationArn, { timeoutMs: parseDuration(o.timeout as string) });
        }
        return clusterFields(await ctx.client.describeClusterV2(created.clusterArn));
      }),
    ),
    'flo clusters create orders --brokers 3 --wait',
    'flo clusters create tiny -b 1 --kafka-version 3.8.x --storage 10 --tag team=payments',
    'flo clusters create tuned --configuration arn:aws:kafka:us-east-1:000000000000:configuration/tuned/1234:2',
    'flo clusters create secure --scram --wait   # SASL/SCRAM over TLS: flo users create, flo clusters ca',
    'flo clusters create mtls --tls-auth --client-broker TLS_PLAINTEXT --unauthenticated',
  );

  examples(
    clusters
      .command('ca')
      .description("print the cluster's CA certificate (PEM), for clients' ssl.ca.location")
      .argument('<cluster>', 'cluster name or ARN')
      .action(
        action(io, async (ctx, [cluster]) => {
          const out = await ctx.client.getCertificateAuthority(await ctx.clusterArn(cluster as string));
          return text(out, out.certificateAuthority.trimEnd());
        }),
      ),
    'flo clusters ca secure > ca.pem',
    'kcat -b "$(flo clusters bootstrap secure --auth sasl-scram)" -X security.protocol=SASL_SSL -X ssl.ca.location=ca.pem ...',
  );

  examples(
    clusters
      .command('client-cert')
      .description('issue a client certificate for mutual TLS, signed by the cluster CA (principal User:<name>)')
      .argument('<cluster>', 'cluster name or ARN')
      .argument('<common-name>', "the certificate's CN: the principal ACLs name (User:<common-name>)")
      .option('--days <n>', 'validity in days', '365')
      .option(
        '--out <prefix>',
        'write <prefix>.pem (certificate), <prefix>.key and <prefix>-ca.pem instead of printing',
      )
      .action(
        action(io, async (ctx, [cluster, commonName], o) => {
          const out = await ctx.client.createClientCertificate(await ctx.clusterArn(cluster as string), {
            commonName: commonName as string,
            validityDays: positiveInt('--days', o.days as string),
          });
          if (o.out) {
            const { writeFileSync } = await import('node:fs');
            writeFileSync(`${o.out}.pem`, out.certificate);
            writeFileSync(`${o.out}.key`, out.privateKey, { mode: 0o600 });
            writeFileSync(`${o.out}-ca.pem`, out.certificateAuthority);
            return fields(out, [
              ['Principal', out.principal],
              ['Certificate', `${o.out}.pem`],
              ['Key', `${o.out}.key`],
              ['CA', `${o.out}-ca.pem`],
              ['Not after', out.notAfter],
            ]);
          }
          return text(out, `${out.certificate}${out.privateKey}`.trimEnd());
        }),
      ),
    'flo clusters client-cert mtls alice --out alice',
  );

  examples(
    clusters
      .command('list')
      .alias('ls')
      .description('list clusters (ListClustersV2)')
      .option('--name-filter <prefix>', 'only clusters whose name starts with this')
      .action(
        action(io, async (ctx, _args, o) => {
          const all: Cluster[] = [];
          let nextToken: string | undefined;
          do {
            const page = await ctx.client.listClustersV2({
              clusterNameFilter: o.nameFilter as string | undefined,
              nextToken,
            });
            all.push(...page.clusterInfoList);
            nextToken = page.nextToken;
          } while (nextToken);
          const view = clusterRows(all);
          return { ...view, data: { clusterInfoList: all } } as View;
        }),
      ),
    'flo clusters list',
    'flo clusters list -o json | jq -r ".clusterInfoList[].clusterArn"',
  );

  examples(
    clusters
      .command('describe')
      .alias('get')
      .description('show a cluster (DescribeClusterV2)')
      .argument('<cluster>', 'cluster name or ARN')
      .action(action(io, async (ctx, [cluster]) => clusterFields(await ctx.cluster(cluster as string)))),
    'flo clusters describe orders',
    'flo clusters describe orders -o yaml',
  );

  examples(
    clusters
      .command('nodes')
      .description('list the brokers of a cluster (ListNodes)')
      .argument('<cluster>', 'cluster name or ARN')
      .action(
        action(io, async (ctx, [cluster]) => {
          const arn = await ctx.clusterArn(cluster as string);
          const out = await ctx.client.listNodes(arn);
          return table(
            out,
            out.nodeInfoList,
            [
              { header: 'BROKER', value: (n) => n.brokerNodeInfo.brokerId },
              { header: 'ENDPOINTS', value: (n) => n.brokerNodeInfo.endpoints },
              { header: 'TYPE', value: (n) => n.instanceType },
              { header: 'VERSION', value: (n) => n.brokerNodeInfo.currentBrokerSoftwareInfo?.kafkaVersion },
              { header: 'ADDED', value: (n) => n.addedToClusterTime },
            ],
            'No brokers yet.',
          );
        }),
      ),
    'flo clusters nodes orders',
  );

  examples(
    clusters
      .command('bootstrap')
      .description('print the bootstrap brokers string for Kafka clients (GetBootstrapBrokers)')
      .argument('<cluster>', 'cluster name or ARN')
      .addOption(
        new Option('--auth <mode>', 'which listener: plaintext, tls or sasl-scram').choices([
          'plaintext',
          'tls',
          'sasl-scram',
        ]),
      )
      .action(
        action(io, async (ctx, [cluster], o) => {
          const arn = await ctx.clusterArn(cluster as string);
          const out = await ctx.client.getBootstrapBrokers(arn);
          const byMode = {
            plaintext: out.bootstrapBrokerString,
            tls: out.bootstrapBrokerStringTls,
            'sasl-scram': out.bootstrapBrokerStringSaslScram,
          };
          const mode = o.auth as keyof typeof byMode | undefined;
          if (mode) {
            const value = byMode[mode];
            if (!value) throw new CliError(`the cluster has no ${mode} listener (yet)`, ExitCode.NOT_FOUND);
            return text(out, value);
          }
          const available = Object.entries(byMode).filter(([, v]) => v);
          if (!available.length) {
            throw new CliError(
              'the cluster has no bootstrap brokers yet',
              ExitCode.NOT_FOUND,
              `\`flo clusters wait ${cluster}\` waits until it is ACTIVE`,
            );
          }
          // One listener: just the string, ready for $(flo clusters bootstrap x).
          if (available.length === 1) return text(out, available[0]?.[1] as string);
          return table(out, available, [
            { header: 'AUTH', value: ([k]) => k },
            { header: 'BOOTSTRAP BROKERS', value: ([, v]) => v },
          ]);
        }),
      ),
    'flo clusters bootstrap orders',
    'kcat -b "$(flo clusters bootstrap orders)" -L',
  );

  examples(
    waitOptions(
      clusters
        .command('delete')
        .alias('rm')
        .description('delete a cluster: its brokers, volumes and network (DeleteCluster)')
        .argument('<cluster>', 'cluster name or ARN')
        .option('--current-version <version>', 'fail if the cluster changed since this version (default: as read now)'),
    ).action(
      action(io, async (ctx, [name], o) => {
        const cluster = await ctx.cluster(name as string);
        const out = await ctx.client.deleteCluster(
          cluster.clusterArn,
          (o.currentVersion as string | undefined) ?? cluster.currentVersion,
        );
        if (o.wait) {
          ctx.progress(`deleting ${cluster.clusterName}`);
          await waitForCluster(ctx.client, cluster.clusterArn, {
            gone: true,
            timeoutMs: parseDuration(o.timeout as string),
            intervalMs: 500,
          });
          ctx.progress(`${cluster.clusterName} deleted`);
          return fields({ ...out, state: 'DELETED' }, [
            ['Name', cluster.clusterName],
            ['ARN', out.clusterArn],
            ['State', 'DELETED'],
          ]);
        }
        return fields(out, [
          ['Name', cluster.clusterName],
          ['ARN', out.clusterArn],
          ['State', out.state],
        ]);
      }),
    ),
    'flo clusters delete orders --wait',
  );

  examples(
    clusters
      .command('wait')
      .description('wait until a cluster reaches a state (ACTIVE by default), or is gone (--deleted)')
      .argument('<cluster>', 'cluster name or ARN')
      .option('--state <state>', 'the state to wait for', 'ACTIVE')
      .option('--deleted', 'wait until the cluster no longer exists')
      .option('--timeout <duration>', 'give up after (e.g. 90s, 10m)', '10m')
      .action(
        action(io, async (ctx, [name], o) => {
          const arn = await ctx.clusterArn(name as string);
          let last = '';
          const started = Date.now();
          const cluster = await waitForCluster(ctx.client, arn, {
            states: [(o.state as string).toUpperCase()],
            gone: Boolean(o.deleted),
            timeoutMs: parseDuration(o.timeout as string),
            intervalMs: 500,
            onPoll: (c) => {
              if (c.state !== last)
                ctx.progress(
                  `  ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s  ${c.clusterName} ${c.state}`,
                );
              last = c.state;
            },
          }).catch((error: unknown) => {
            if (error instanceof SdkError && error.type === 'TimeoutError') {
              throw new CliError(error.message, ExitCode.UNREACHABLE);
            }
            throw error;
          });
          if (!cluster) return text({ clusterArn: arn, state: 'DELETED' }, `${name} deleted`);
          return clusterFields(cluster);
        }),
      ),
    'flo clusters wait orders',
    'flo clusters wait orders --deleted --timeout 2m',
  );

  examples(
    waitOptions(
      clusters
        .command('update-broker-count')
        .description('add brokers (UpdateBrokerCount)')
        .argument('<cluster>', 'cluster name or ARN')
        .argument('<count>', 'the new number of brokers')
        .option('--current-version <version>', 'fail if the cluster changed since this version'),
    ).action(
      action(io, (ctx, [cluster, count], o) =>
        update(ctx, cluster as string, o, (arn, currentVersion) =>
          ctx.client.updateBrokerCount(arn, {
            currentVersion,
            targetNumberOfBrokerNodes: positiveInt('count', count as string),
          }),
        ),
      ),
    ),
    'flo clusters update-broker-count orders 6 --wait',
  );

  examples(
    waitOptions(
      clusters
        .command('update-storage')
        .description("grow every broker's volume (UpdateBrokerStorage)")
        .argument('<cluster>', 'cluster name or ARN')
        .argument('<GiB>', 'the new volume size per broker')
        .option('--current-version <version>', 'fail if the cluster changed since this version'),
    ).action(
      action(io, (ctx, [cluster, size], o) =>
        update(ctx, cluster as string, o, (arn, currentVersion) =>
          ctx.client.updateBrokerStorage(arn, {
            currentVersion,
            targetBrokerEBSVolumeInfo: [{ kafkaBrokerNodeId: 'All', volumeSizeGB: positiveInt('GiB', size as string) }],
          }),
        ),
      ),
    ),
    'flo clusters update-storage orders 200',
  );

  examples(
    waitOptions(
      clusters
        .command('update-broker-type')
        .description('change the broker type, one broker at a time (UpdateBrokerType)')
        .argument('<cluster>', 'cluster name or ARN')
        .argument('<type>', 'the new broker type, e.g. kafka.m5.large')
        .option('--current-version <version>', 'fail if the cluster changed since this version'),
    ).action(
      action(io, (ctx, [cluster, type], o) =>
        update(ctx, cluster as string, o, (arn, currentVersion) =>
          ctx.client.updateBrokerType(arn, { currentVersion, targetInstanceType: type as string }),
        ),
      ),
    ),
    'flo clusters update-broker-type orders kafka.m5.large --wait',
  );

  examples(
    waitOptions(
      clusters
        .command('update-security')
        .description(
          'change client authentication and client-broker encryption, by rolling restarts while clients run (UpdateSecurity)',
        )
        .argument('<cluster>', 'cluster name or ARN')
        .option('--scram', 'clients authenticate with SASL/SCRAM (flo users create)')
        .option(
          '--tls-auth',
          'clients authenticate with TLS certificates from the cluster CA (flo clusters client-cert)',
        )
        .option('--unauthenticated', 'unauthenticated clients are let in (alone, or with --scram/--tls-auth)')
        .addOption(
          new Option(
            '--client-broker <mode>',
            'encryption between clients and brokers (default: TLS with --scram/--tls-auth, else unchanged)',
          ).choices(['TLS', 'TLS_PLAINTEXT', 'PLAINTEXT']),
        )
        .option('--current-version <version>', 'fail if the cluster changed since this version'),
    ).action(
      action(io, (ctx, [cluster], o) =>
        update(ctx, cluster as string, o, (arn, currentVersion) =>
          ctx.client.updateSecurity(arn, { currentVersion, ...securityUpdate(o) }),
        ),
      ),
    ),
    'flo clusters update-security orders --scram --wait',
    'flo clusters update-security orders --unauthenticated --client-broker TLS_PLAINTEXT',
  );

  examples(
    waitOptions(
      clusters
        .command('update-version')
        .description('move the cluster to another Kafka version, one broker at a time (UpdateClusterKafkaVersion)')
        .argument('<cluster>', 'cluster name or ARN')
        .argument('<version>', 'target version (flo versions compatible CLUSTER)')
        .option('--configuration <arn[:revision]>', 'a configuration to apply with the new version')
        .option('--current-version <version>', 'fail if the cluster changed since this version'),
    ).action(
      action(io, (ctx, [cluster, version], o) =>
        update(ctx, cluster as string, o, (arn, currentVersion) =>
          ctx.client.updateClusterKafkaVersion(arn, {
            currentVersion,
            targetKafkaVersion: version as string,
            ...(o.configuration ? { configurationInfo: parseConfigurationRef(o.configuration as string) } : {}),
          }),
        ),
      ),
    ),
    'flo clusters update-version orders 3.9.x --wait',
  );

  examples(
    waitOptions(
      clusters
        .command('update-configuration')
        .description('apply a configuration revision to the brokers (UpdateClusterConfiguration)')
        .argument('<cluster>', 'cluster name or ARN')
        .requiredOption('--configuration <arn[:revision]>', 'the configuration and revision (default revision 1)')
        .option('--current-version <version>', 'fail if the cluster changed since this version'),
    ).action(
      action(io, (ctx, [cluster], o) =>
        update(ctx, cluster as string, o, (arn, currentVersion) =>
          ctx.client.updateClusterConfiguration(arn, {
            currentVersion,
            configurationInfo: parseConfigurationRef(o.configuration as string),
          }),
        ),
      ),
    ),
    'flo clusters update-configuration orders --configuration arn:aws:kafka:...:configuration/tuned/...:2 --wait',
  );

  examples(
    waitOptions(
      clusters
        .command('update-monitoring')
        .description('change the enhanced monitoring level (UpdateMonitoring)')
        .argument('<cluster>', 'cluster name or ARN')
        .addOption(
          new Option('--level <level>', 'enhanced monitoring level')
            .choices(['DEFAULT', 'PER_BROKER', 'PER_TOPIC_PER_BROKER', 'PER_TOPIC_PER_PARTITION'])
            .makeOptionMandatory(),
        )
        .option('--current-version <version>', 'fail if the cluster changed since this version'),
    ).action(
      action(io, (ctx, [cluster], o) =>
        update(ctx, cluster as string, o, (arn, currentVersion) =>
          ctx.client.updateMonitoring(arn, { currentVersion, enhancedMonitoring: o.level as 'DEFAULT' }),
        ),
      ),
    ),
    'flo clusters update-monitoring orders --level PER_TOPIC_PER_PARTITION --wait',
  );

  examples(
    waitOptions(
      clusters
        .command('reboot-broker')
        .description('restart one broker (RebootBroker)')
        .argument('<cluster>', 'cluster name or ARN')
        .argument('<broker-id>', 'the broker to restart (flo clusters nodes CLUSTER)'),
    ).action(
      action(io, async (ctx, [cluster, brokerId], o) => {
        positiveInt('broker-id', brokerId as string);
        const arn = await ctx.clusterArn(cluster as string);
        const started = await ctx.client.rebootBroker(arn, [brokerId as string]);
        if (!o.wait) {
          return fields(started, [
            ['Cluster', started.clusterArn],
            ['Operation', started.clusterOperationArn],
          ]);
        }
        const op = await followOperation(ctx, started.clusterOperationArn, {
          timeoutMs: parseDuration(o.timeout as string),
        });
        return fields({ clusterOperationInfo: op }, [
          ['Operation', op.operationArn],
          ['State', op.operationState],
        ]);
      }),
    ),
    'flo clusters reboot-broker orders 2 --wait',
  );
}
