/**
 * The one impure step between a cluster description and running brokers: ask the driver for ports and
 * the host for its capacity, then build the plan with the pure builders (spec.ts).
 */
import { cpus, totalmem } from 'node:os';
import type { RuntimeDriver } from './driver.js';
import { clientListeners, isPlaintextOnly } from './security.js';
import {
  assignHostPorts,
  buildClusterPlan,
  type ClusterDescription,
  type ClusterPlan,
  defaultNodeIds,
  type HostCapacity,
  portsPerBroker,
} from './spec.js';

export function hostCapacity(): HostCapacity {
  return { cpus: cpus().length, memoryBytes: totalmem() };
}

/**
 * Plans a cluster for `driver`: fresh ports on 127.0.0.1 for every broker. To keep a broker's ports
 * (replacing it, a rolling restart), reuse its stored spec instead of planning again.
 */
export async function planCluster(
  driver: RuntimeDriver,
  desc: ClusterDescription,
  host: HostCapacity = hostCapacity(),
): Promise<ClusterPlan> {
  const nodeIds = desc.nodeIds ? [...desc.nodeIds] : defaultNodeIds(desc.brokerCount);
  const access = desc.security?.access;
  const listeners = access && !isPlaintextOnly(access) ? clientListeners(access) : [];
  const ports = await driver.reservePorts(portsPerBroker(driver.addressing, listeners) * nodeIds.length);
  const hostPorts = assignHostPorts(driver.addressing, nodeIds, ports, listeners);
  return buildClusterPlan(desc, driver.addressing, hostPorts, host, {
    dataRoot: (nodeId) => driver.dataPath({ clusterId: desc.clusterId, nodeId }),
  });
}
