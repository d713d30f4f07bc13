/**
 * Paging and waiting, the two loops every caller of a list or a long operation writes otherwise.
 */
import type { FlotillaClient } from './client.js';
import { SdkError } from './errors.js';
import type { Cluster, ClusterOperationV2, ClusterState } from './types.js';

/**
 * Every item of a paged list call: `pages(token)` fetches one page; `items` picks its list.
 * `for await (const c of paginate((t) => client.listClustersV2({ nextToken: t }), (p) => p.clusterInfoList))`
 */
export async function* paginate<P extends { nextToken?: string }, I>(
  pages: (nextToken: string | undefined) => Promise<P>,
  items: (page: P) => readonly I[],
): AsyncGenerator<I> {
  let token: string | undefined;
  do {
    const page = await pages(token);
    yield* items(page);
    token = page.nextToken || undefined;
  } while (token);
}

export async function collect<I>(iterable: AsyncIterable<I>): Promise<I[]> {
  const out: I[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

export interface WaitOptions {
  /** Give up after this long (SdkError TimeoutError). Default 10 minutes. */
  readonly timeoutMs?: number;
  /** Time between polls. Default 1 s. */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** The states a cluster does not leave by itself: waiting longer changes nothing. */
export const SETTLED_CLUSTER_STATES: readonly ClusterState[] = ['ACTIVE', 'FAILED'];

/**
 * Polls DescribeClusterV2 until the cluster is in one of `states` (default ACTIVE). FAILED when not
 * wanted is an error at once (SdkError 'ClusterFailed', its stateInfo message); `{ gone: true }`
 * waits for the cluster to disappear after a delete (NotFoundException) and returns null.
 * `onPoll` sees every description (for progress displays).
 */
export async function waitForCluster(
  client: FlotillaClient,
  clusterArn: string,
  options: WaitOptions & {
    states?: readonly ClusterState[];
    gone?: boolean;
    onPoll?: (cluster: Cluster) => void;
  } = {},
): Promise<Cluster | null> {
  const wanted = options.states ?? ['ACTIVE'];
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  for (;;) {
    let cluster: Cluster;
    try {
      cluster = await client.describeClusterV2(clusterArn);
    } catch (error) {
      if (options.gone && error instanceof SdkError && error.type === 'NotFoundException' && !error.routeMissing) {
        return null;
      }
      throw error;
    }
    options.onPoll?.(cluster);
    if (!options.gone && wanted.includes(cluster.state)) return cluster;
    if (cluster.state === 'FAILED' && !wanted.includes('FAILED')) {
      throw new SdkError(
        'ClusterFailed',
        `cluster ${cluster.clusterName} is FAILED${cluster.stateInfo?.message ? `: ${cluster.stateInfo.message}` : ''}`,
        0,
      );
    }
    if (Date.now() > deadline) {
      throw new SdkError(
        'TimeoutError',
        `cluster ${cluster.clusterName} is still ${cluster.state} after ${options.timeoutMs ?? 600_000} ms`,
        0,
      );
    }
    await sleep(options.intervalMs ?? 1_000, options.signal);
  }
}

/** True once an operation will not change any more. */
export function operationFinished(op: { operationState: string }): boolean {
  return op.operationState === 'UPDATE_COMPLETE' || op.operationState === 'UPDATE_FAILED';
}

/**
 * Polls DescribeClusterOperationV2 until the operation completes or fails, and returns it (a failed
 * operation is returned, not thrown: its errorInfo is the caller's to show). `onPoll` sees each state.
 */
export async function waitForOperation(
  client: FlotillaClient,
  operationArn: string,
  options: WaitOptions & { onPoll?: (op: ClusterOperationV2) => void } = {},
): Promise<ClusterOperationV2> {
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  for (;;) {
    const op = await client.describeClusterOperationV2(operationArn);
    options.onPoll?.(op);
    if (operationFinished(op)) return op;
    if (Date.now() > deadline) {
      throw new SdkError(
        'TimeoutError',
        `operation ${op.operationType} is still ${op.operationState} after ${options.timeoutMs ?? 600_000} ms`,
        0,
      );
    }
    await sleep(options.intervalMs ?? 1_000, options.signal);
  }
}
