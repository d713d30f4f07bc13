/**
 * Each broker's current spec, kept in the catalog (Broker.spec, issue 7): image, limits, storage,
 * server.properties, ports and data dir as the broker runs now. Every job that creates or changes a
 * broker records it (create-cluster, scale-out, every rolling restart, heal), so healing can rebuild a
 * broker whose container/process is gone, even one added by a scale-out or carrying read-only keys of a
 * later configuration. The runtime's own record (a container label, the process's spec.json) goes with
 * the container; the catalog's stays.
 *
 * Secret config values (broker private keys) are sealed under the master key as in recorded plans
 * (cluster-security.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import { type ClientOrTransaction, clusters, type Prisma, type SecretBox } from '@flotilla/db';
import type { BrokerRef, BrokerSpec, RuntimeDriver } from '@flotilla/runtime';
import { openSpecSecrets, sealSpecSecrets } from './cluster-security.js';

type BrokerRow = Omit<Parameters<typeof clusters.upsertBroker>[3], 'spec'>;

/** The Broker.spec column's value for `spec`: its secrets sealed. */
export function specColumn(spec: BrokerSpec, box: SecretBox | undefined): Prisma.InputJsonValue {
  return sealSpecSecrets(spec, box) as unknown as Prisma.InputJsonValue;
}

/** Records `spec` as the broker's current one, with any other columns of its row (created if missing). */
export async function recordBrokerSpec(
  db: ClientOrTransaction,
  spec: BrokerSpec,
  box: SecretBox | undefined,
  row: BrokerRow = {},
): Promise<void> {
  await clusters.upsertBroker(db, spec.clusterId, spec.nodeId, { ...row, spec: specColumn(spec, box) });
}

/** The spec the catalog holds for the broker, opened; null when there is no row or it predates Broker.spec. */
export async function recordedBrokerSpec(
  db: ClientOrTransaction,
  ref: BrokerRef,
  box: SecretBox | undefined,
): Promise<BrokerSpec | null> {
  const row = await db.broker.findUnique({
    where: { clusterId_nodeId: { clusterId: ref.clusterId, nodeId: ref.nodeId } },
    select: { spec: true },
  });
  if (row?.spec === null || row?.spec === undefined) return null;
  return openSpecSecrets(row.spec as unknown as BrokerSpec, box);
}

/**
 * The broker's current spec: the catalog's, else (a row from before Broker.spec) the one the runtime
 * holds while its container/process exists; null when neither has one.
 */
export async function currentBrokerSpec(
  deps: { readonly catalog: ClientOrTransaction; readonly driver: RuntimeDriver; readonly box?: SecretBox },
  ref: BrokerRef,
): Promise<BrokerSpec | null> {
  return (
    (await recordedBrokerSpec(deps.catalog, ref, deps.box)) ??
    deps.driver.brokerSpec({ clusterId: ref.clusterId, nodeId: ref.nodeId })
  );
}

/**
 * Whether two specs describe the same broker. Compared as JSON values, not as strings: Postgres's jsonb
 * keeps object keys in its own order, so a spec read back from the catalog serialises differently from
 * the runtime's copy of the same spec.
 */
export function sameSpec(a: BrokerSpec, b: BrokerSpec): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}
