/**
 * update-security (MSK's UpdateSecurity, operation type UPDATE_SECURITY): new client authentication and
 * encryption in transit on a running cluster, with clients working throughout. The API has checked the
 * request against MSK's rules and written the resulting clientAuthentication/encryptionInfo as the
 * operation's target; this job brings the brokers there.
 *
 * Steps:
 *   prepare               the phases (runtime security-update.ts: open, switch, close; a single roll
 *                         when the inter-broker and control plane listeners stay), computed from the
 *                         brokers' recorded specs; what the new listeners need, made before any broker
 *                         changes: the cluster CA and the control plane's password when it had none
 *                         (sealed on the cluster row), a port per new listener per broker, a
 *                         certificate per broker from the CA (its key sealed in the step's detail)
 *   control-plane-user    the control plane's SCRAM-SHA-512 credential put into the cluster's metadata
 *                         with AlterUserScramCredentials (KIP-554) over the listeners it uses today, so
 *                         the CONTROL_PLANE listener the first roll opens takes its login at once
 *   <phase>-order, <phase>-broker-<id>
 *                         a safe rolling restart per phase (rolling-restart.ts: controller last, the
 *                         min.insync.replicas and under-replicated checks, resumable), each broker
 *                         replaced from its spec with the phase's listeners (same node id and volume,
 *                         every listener that stays on its port)
 *   <phase>-addresses     the catalog's bootstrap columns from the brokers' specs: once every broker has
 *                         CONTROL_PLANE the control plane (the worker's jobs, the monitor, the heal loop,
 *                         the API's routes) reaches the cluster there, with its SCRAM user; clients see
 *                         the listeners open at this point in GetBootstrapBrokers
 * When the last roll is done the cluster's clientAuthentication and encryptionInfo become the target's,
 * together with ACTIVE (update-common.ts).
 */
import { clusters, Prisma } from '@flotilla/db';
import {
  type BrokerSpec,
  bootstrapColumns,
  brokerCertificateNames,
  CONTROL_PLANE_USER,
  isPlaintextOnly,
  type LayoutSpecOptions,
  layoutNeedsTls,
  layoutOfSpec,
  listenersNeedingPorts,
  type MskClientAuthentication,
  type MskEncryptionInfo,
  RuntimeError,
  resolveClientAccess,
  type SecurityUpdatePhase,
  securityUpdatePhases,
  specForLayout,
  targetLayout,
} from '@flotilla/runtime';
import { UnrecoverableError } from 'bullmq';
import { ClusterAdmin } from '../kafka/cluster-admin.js';
import { requireClusterEndpoint } from '../kafka/cluster-endpoint.js';
import { currentBrokerSpec } from './broker-spec.js';
import type { JobPayload } from './catalog.js';
import { brokerIssuer, controlPlanePassword, ensureSecurityMaterial, openText, sealText } from './cluster-security.js';
import type { JobContext } from './context.js';
import { rollingRestart } from './rolling-restart.js';
import { runStep } from './steps.js';
import { runClusterOperation } from './update-common.js';

/** What the prepare step records (keys sealed): the same plan for every attempt of the operation. */
interface Prepared {
  readonly phases: SecurityUpdatePhase[];
  /** Host ports of the listeners each broker gets, by node id and listener name. */
  readonly ports: Record<string, Record<string, number>>;
  /** Each broker's certificate chain and its key, sealed; only for brokers that had none. */
  readonly certificates: Record<string, { chain: string; keySealed: string }>;
  /** The control plane's user must be put into the cluster before the first roll. */
  readonly addControlPlaneUser: boolean;
}

export async function updateSecurity(payload: JobPayload<'update-security'>, ctx: JobContext): Promise<void> {
  const { catalog } = ctx;
  const { operationId, clusterId } = payload;
  await runClusterOperation(payload, ctx, async ({ cluster, target }) => {
    const clientAuthentication = (target.clientAuthentication ?? null) as MskClientAuthentication | null;
    const encryptionInfo = (target.encryptionInfo ?? null) as MskEncryptionInfo | null;
    let access: ReturnType<typeof resolveClientAccess>;
    try {
      access = resolveClientAccess(clientAuthentication, encryptionInfo);
    } catch (error) {
      throw new UnrecoverableError((error as Error).message);
    }
    const brokerSpecs = async (): Promise<BrokerSpec[]> => {
      const rows = await clusters.listBrokers(catalog, clusterId);
      const specs = await Promise.all(rows.map((b) => currentBrokerSpec(ctx, { clusterId, nodeId: b.nodeId })));
      const missing = rows.filter((_, i) => specs[i] === null).map((b) => b.nodeId);
      if (missing.length > 0) throw new UnrecoverableError(`broker(s) ${missing.join(', ')} have no spec to change`);
      return specs as BrokerSpec[];
    };

    const prepared = (await runStep(catalog, operationId, 'prepare', async () => {
      const specs = await brokerSpecs();
      // A broker an earlier, failed update left further along repeats a phase as a plain restart; the
      // phases start from the broker furthest behind.
      let phases: SecurityUpdatePhase[] = [];
      let behind = layoutOfSpec(specs[0] as BrokerSpec);
      for (const spec of specs) {
        const current = layoutOfSpec(spec);
        const controlPlane = current.controlPlane || !isPlaintextOnly(access);
        let planned: SecurityUpdatePhase[];
        try {
          planned = securityUpdatePhases(current, targetLayout(current, access, controlPlane));
        } catch (error) {
          throw new UnrecoverableError((error as Error).message);
        }
        if (planned.length > phases.length) {
          phases = planned;
          behind = current;
        }
      }
      const layouts = phases.map((p) => p.layout);
      const row = await ensureSecurityMaterial(catalog, cluster, ctx.box, {
        ca: layouts.some(layoutNeedsTls),
        controlPlanePassword: layouts.some((l) => l.controlPlane),
      });
      const needs = specs.map((spec) => listenersNeedingPorts(spec, layouts, ctx.driver.addressing));
      const reserved = await ctx.driver.reservePorts(needs.reduce((n, names) => n + names.length, 0));
      const ports: Prepared['ports'] = {};
      const certificates: Prepared['certificates'] = {};
      const issuer = layouts.some(layoutNeedsTls) ? brokerIssuer(row, ctx.box) : null;
      specs.forEach((spec, i) => {
        ports[spec.nodeId] = Object.fromEntries((needs[i] ?? []).map((name) => [name, reserved.shift() as number]));
        if (issuer && spec.config['ssl.keystore.key'] === undefined) {
          const certificate = issuer.issue(spec.nodeId, brokerCertificateNames(spec, ctx.driver.addressing));
          certificates[spec.nodeId] = {
            chain: certificate.chain,
            keySealed: sealText(cluster, ctx.box, certificate.privateKey),
          };
        }
      });
      const result: Prepared = {
        phases,
        ports,
        certificates,
        addControlPlaneUser: !behind.controlPlane && layouts.some((l) => l.controlPlane),
      };
      return result as unknown as Prisma.InputJsonValue;
    })) as unknown as Prepared;

    const row = await catalog.cluster.findUniqueOrThrow({ where: { id: clusterId } });
    if (prepared.addControlPlaneUser) {
      await runStep(catalog, operationId, 'control-plane-user', async () => {
        // Over the listeners the control plane uses now (the old ones, still open everywhere).
        const admin = new ClusterAdmin(requireClusterEndpoint(row, ctx.box), { clientId: 'flotilla-worker' });
        try {
          await admin.upsertScramUser(CONTROL_PLANE_USER, 'SCRAM-SHA-512', controlPlanePassword(row, ctx.box));
        } finally {
          await admin.close();
        }
        return { user: CONTROL_PLANE_USER, mechanism: 'SCRAM-SHA-512' };
      });
    }

    const specOptions = (nodeId: number): LayoutSpecOptions => {
      const certificate = prepared.certificates[nodeId];
      return {
        addressing: ctx.driver.addressing,
        ports: prepared.ports[nodeId] ?? {},
        ...(certificate
          ? { certificate: { chain: certificate.chain, privateKey: openText(cluster, ctx.box, certificate.keySealed) } }
          : {}),
        ...(row.caCertificate ? { caCertificate: row.caCertificate } : {}),
      };
    };
    for (const phase of prepared.phases) {
      // The endpoint as the catalog has it now: it moves to CONTROL_PLANE after the roll that opens it.
      const now = await catalog.cluster.findUniqueOrThrow({ where: { id: clusterId } });
      await rollingRestart(ctx, {
        operationId,
        clusterId,
        endpoint: requireClusterEndpoint(now, ctx.box),
        stepPrefix: phase.name,
        primaryPortMayMove: true,
        nextSpec: (spec) => {
          try {
            return specForLayout(spec, phase.layout, specOptions(spec.nodeId));
          } catch (error) {
            // A spec the phase cannot be built from stays so on every attempt.
            if (error instanceof RuntimeError) throw new UnrecoverableError(error.message);
            throw error;
          }
        },
      });
      await runStep(catalog, operationId, `${phase.name}-addresses`, async () => {
        const specs = await brokerSpecs();
        const columns = bootstrapColumns(specs);
        await catalog.$transaction(async (tx) => {
          await clusters.updateCluster(tx, clusterId, { ...columns });
          for (const spec of specs) await clusters.upsertBroker(tx, clusterId, spec.nodeId, { port: spec.ports.kafka });
        });
        return { ...columns };
      });
    }

    const columns = bootstrapColumns(await brokerSpecs());
    return {
      ...columns,
      clientAuthentication: (clientAuthentication as Prisma.InputJsonValue | null) ?? Prisma.DbNull,
      encryptionInfo: (encryptionInfo as Prisma.InputJsonValue | null) ?? Prisma.DbNull,
    };
  });
}
