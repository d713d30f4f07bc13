/**
 * How the control plane (the API's routes, the worker's jobs, reconcilers and monitor) reaches a
 * cluster's brokers: one ClusterEndpoint, built from the catalog row by `clusterEndpoint`, passed to
 * every admin client instead of a bootstrap string.
 *
 * A PLAINTEXT cluster (no client authentication, no TLS: Flotilla's default) is reached on its client
 * listeners, like any client. Every other cluster has a CONTROL_PLANE listener of its own (runtime
 * security.ts): SASL_PLAINTEXT, published on 127.0.0.1 only, where the control plane logs in with
 * SCRAM-SHA-512 as `flotilla-admin`, a super user seeded by `format --add-scram` before the first start.
 * So the control plane reaches every cluster the same way whatever its clients use (SCRAM, mTLS, TLS),
 * and a SCRAM-only cluster has no unauthenticated door. The password is sealed in the catalog
 * (controlPlanePasswordSealed, SecretBox under the master key) and lives here only in the SASL
 * mechanism's closure, so logging an endpoint does not print it.
 */
import type { SecretBox } from '@flotilla/db';
import { type AdminClientOptions, type SaslMechanism, scramSha512 } from '@flotilla/protocol';
import { CONTROL_PLANE_USER } from '@flotilla/runtime';

export interface ClusterEndpoint {
  /** `host:port` of the listeners the control plane uses. */
  readonly bootstrap: readonly string[];
  /** How to authenticate on them; absent: PLAINTEXT without authentication. */
  readonly sasl?: SaslMechanism;
}

/** The catalog columns an endpoint is built from. */
export interface EndpointColumns {
  readonly name: string;
  readonly bootstrapBrokerString: string | null;
  readonly controlPlaneBootstrap: string | null;
  readonly controlPlanePasswordSealed: Uint8Array | null;
}

/** Stable codes (STYLE.md) so callers branch on them, not on messages. */
export class ClusterEndpointError extends Error {
  override readonly name = 'ClusterEndpointError';
  constructor(
    readonly code: 'NO_BROKERS' | 'NO_MASTER_KEY',
    message: string,
  ) {
    super(message);
  }
}

const split = (list: string) => list.split(',').filter(Boolean);

/** An endpoint on PLAINTEXT listeners (a PLAINTEXT cluster, tests, tools). */
export function plaintextEndpoint(bootstrap: string | readonly string[]): ClusterEndpoint {
  return { bootstrap: typeof bootstrap === 'string' ? split(bootstrap) : [...bootstrap] };
}

/** The control plane's endpoint on a secured cluster's CONTROL_PLANE listeners. */
export function controlPlaneEndpoint(bootstrap: string | readonly string[], password: string): ClusterEndpoint {
  return {
    bootstrap: typeof bootstrap === 'string' ? split(bootstrap) : [...bootstrap],
    sasl: scramSha512({ username: CONTROL_PLANE_USER, password }),
  };
}

/**
 * The endpoint of a cluster from its catalog row, or null while it has no broker addresses yet
 * (CREATING). `box` opens the sealed password; a secured cluster without it is an error.
 */
export function clusterEndpoint(row: EndpointColumns, box: SecretBox | undefined): ClusterEndpoint | null {
  if (row.controlPlaneBootstrap) {
    if (!row.controlPlanePasswordSealed) return plaintextEndpoint(row.controlPlaneBootstrap);
    if (!box) {
      throw new ClusterEndpointError(
        'NO_MASTER_KEY',
        `cluster ${row.name} is reached with the control plane's sealed credential, but no master key was given`,
      );
    }
    return controlPlaneEndpoint(row.controlPlaneBootstrap, box.open(row.controlPlanePasswordSealed));
  }
  return row.bootstrapBrokerString ? plaintextEndpoint(row.bootstrapBrokerString) : null;
}

/** Like clusterEndpoint, for callers that need the brokers now. */
export function requireClusterEndpoint(row: EndpointColumns, box: SecretBox | undefined): ClusterEndpoint {
  const endpoint = clusterEndpoint(row, box);
  if (!endpoint) throw new ClusterEndpointError('NO_BROKERS', `cluster ${row.name} has no brokers yet`);
  return endpoint;
}

/** True when the row names broker addresses (the cluster got past CREATING). */
export function hasBrokerAddresses(row: Pick<EndpointColumns, 'bootstrapBrokerString' | 'controlPlaneBootstrap'>) {
  return Boolean(row.controlPlaneBootstrap || row.bootstrapBrokerString);
}

/** The AdminClient options for an endpoint (bootstrap and SASL), to spread into `new AdminClient`. */
export function adminOptions(endpoint: ClusterEndpoint): Pick<AdminClientOptions, 'bootstrap' | 'sasl'> {
  return { bootstrap: endpoint.bootstrap, ...(endpoint.sasl ? { sasl: endpoint.sasl } : {}) };
}

/** The same endpoint with more bootstrap addresses (brokers being added). */
export function withBootstrap(endpoint: ClusterEndpoint, bootstrap: readonly string[]): ClusterEndpoint {
  return { ...endpoint, bootstrap };
}
