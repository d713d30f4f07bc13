/**
 * Steps shared by the day-2 operations (issue 7), built only from RuntimeDriver calls so that they work
 * on every runtime. The decisions around them (which broker next, whether min.insync.replicas allows it,
 * waiting for under-replicated partitions) belong to the worker; these only change one broker.
 */
import { type BrokerSpec, type BrokerStatus, type RuntimeDriver, RuntimeError } from './driver.js';

export interface ReplaceOptions {
  /** Graceful stop (controlled shutdown) before SIGKILL; default 30 s. */
  readonly stopTimeoutMs?: number;
  /**
   * The primary listener may move to another port. Only UpdateSecurity asks for it: EXTERNAL stops being
   * the primary listener when CONTROL_PLANE arrives, and keeps its port as a client listener beside it
   * (security-update.ts), so clients keep their bootstrap list all the same.
   */
  readonly primaryPortMayMove?: boolean;
}

/**
 * Replaces a broker by one built from `next` (same cluster and node id): a new image (UpdateClusterKafkaVersion),
 * new limits (UpdateBrokerType), a new configuration that needs a restart. The data volume is kept, so
 * the broker comes back with its log and only catches up what it missed. Returns the new broker's status
 * right after start; the caller waits for it to be healthy and in sync.
 */
export async function replaceBroker(
  driver: RuntimeDriver,
  next: BrokerSpec,
  options: ReplaceOptions = {},
): Promise<BrokerStatus> {
  const ref = { clusterId: next.clusterId, nodeId: next.nodeId };
  const current = await driver.brokerSpec(ref);
  const portMoved = current !== null && current.ports.kafka !== next.ports.kafka && !options.primaryPortMayMove;
  if (current && (portMoved || current.dataDir !== next.dataDir)) {
    // Clients hold the bootstrap list and the other brokers the advertised address: keep them.
    throw new RuntimeError('SPEC_CONFLICT', `replacing broker ${next.nodeId} must keep its port and data directory`);
  }
  const status = await driver.inspectBroker(ref);
  if (status.state === 'running' || status.state === 'restarting') {
    await driver.stopBroker(ref, { timeoutMs: options.stopTimeoutMs ?? 30_000 });
  }
  await driver.removeBroker(ref, { removeVolume: false });
  await driver.createBroker(next);
  return driver.startBroker(ref);
}
