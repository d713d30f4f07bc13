/**
 * update-configuration (MSK's UpdateClusterConfiguration, operation type UPDATE_CLUSTER_CONFIGURATION):
 * applies a configuration revision (MSK's server.properties text) to a running cluster.
 *
 * Steps:
 *   classify        each changed key is asked of a broker with DescribeConfigs: a key the broker may
 *                   change at run time (readOnly false) is dynamic, the others (and keys the broker does
 *                   not describe) need a restart; the step's detail lists both, which is how the
 *                   operation says which keys went which way
 *   apply-dynamic   IncrementalAlterConfigs SET on the cluster-wide broker default (resource name ""),
 *                   committed through the controller, so it reaches every broker, survives restarts
 *                   and takes effect without one
 *   roll-*          only when read-only keys changed: a safe rolling restart with the keys written into
 *                   each broker's server.properties (rolling-restart.ts)
 */
import { configurations } from '@flotilla/db';
import { AlterConfigOp, ConfigResourceType } from '@flotilla/protocol';
import { type BrokerSpec, parseServerProperties, RESERVED_KEYS, withFlotillaSuperUsers } from '@flotilla/runtime';
import { UnrecoverableError } from 'bullmq';
import { currentBrokerSpec } from './broker-spec.js';
import type { JobPayload } from './catalog.js';
import type { JobContext } from './context.js';
import { rollingRestart, withAdmin } from './rolling-restart.js';
import { runStep } from './steps.js';
import { runClusterOperation } from './update-common.js';

interface Classified {
  dynamic: Record<string, string>;
  readOnly: Record<string, string>;
}

export async function updateConfiguration(payload: JobPayload<'update-configuration'>, ctx: JobContext): Promise<void> {
  await runClusterOperation(payload, ctx, async ({ endpoint, target }) => {
    const info = (target.configurationInfo ?? {}) as { arn?: string; revision?: number };
    if (!info.arn || info.revision === undefined) throw new UnrecoverableError('the operation names no configuration');
    const properties = await revisionProperties(ctx, info.arn, info.revision);
    if (properties['super.users'] !== undefined) {
      // On a secured cluster the control plane and the brokers stay super users (runtime spec.ts).
      const ref = await ctx.catalog.broker.findFirst({ where: { clusterId: payload.clusterId } });
      const spec = ref ? await currentBrokerSpec(ctx, { clusterId: payload.clusterId, nodeId: ref.nodeId }) : null;
      properties['super.users'] = withFlotillaSuperUsers(properties['super.users'], spec?.config['super.users']);
    }

    const classified = (await runStep(ctx.catalog, payload.operationId, 'classify', async () => {
      const reserved = Object.keys(properties).filter((k) => RESERVED_KEYS.has(k) || k.startsWith('listener.name.'));
      if (reserved.length > 0) throw new UnrecoverableError(`the configuration may not set ${reserved.join(', ')}`);
      return withAdmin(endpoint, async (admin) => {
        const metadata = await admin.metadata([]);
        const any = metadata.brokers[0];
        if (!any) throw new Error('no broker is registered');
        const [described] = await admin.describeConfigs([
          { type: ConfigResourceType.BROKER, name: String(any.nodeId) },
        ]);
        const known = new Map((described?.configs ?? []).map((c) => [c.name, c]));
        const out: Classified = { dynamic: {}, readOnly: {} };
        for (const [key, value] of Object.entries(properties)) {
          const entry = known.get(key);
          if (entry?.value === value) continue; // already in force
          if (entry && !entry.readOnly) out.dynamic[key] = value;
          else out.readOnly[key] = value;
        }
        return { ...out };
      });
    })) as unknown as Classified;

    await runStep(ctx.catalog, payload.operationId, 'apply-dynamic', async () => {
      const keys = Object.entries(classified.dynamic);
      if (keys.length === 0) return { applied: [] };
      await withAdmin(endpoint, (admin) =>
        admin.incrementalAlterConfigs([
          {
            type: ConfigResourceType.BROKER,
            name: '',
            ops: keys.map(([name, value]) => ({ name, value, op: AlterConfigOp.SET })),
          },
        ]),
      );
      return { applied: keys.map(([k]) => k) };
    });

    if (Object.keys(classified.readOnly).length > 0) {
      await rollingRestart(ctx, {
        operationId: payload.operationId,
        clusterId: payload.clusterId,
        endpoint,
        nextSpec: (spec): BrokerSpec => ({ ...spec, config: { ...spec.config, ...classified.readOnly } }),
      });
    }
    return { configurationArn: info.arn, configurationRevision: info.revision };
  });
}

async function revisionProperties(ctx: JobContext, arn: string, revision: number): Promise<Record<string, string>> {
  const configuration = await configurations.findConfigurationByArn(ctx.catalog, arn);
  const row = configuration ? await configurations.findRevision(ctx.catalog, configuration.id, revision) : null;
  if (!row) throw new UnrecoverableError(`configuration ${arn} revision ${revision} does not exist`);
  try {
    return parseServerProperties(row.serverProperties);
  } catch (error) {
    throw new UnrecoverableError(`configuration ${arn} revision ${revision}: ${(error as Error).message}`);
  }
}
