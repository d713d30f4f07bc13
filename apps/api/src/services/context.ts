import type { Catalog, SecretBox } from '@flotilla/db';
import type { Queue } from 'bullmq';
import type { ArnContext } from '../lib/arn.js';

/** What the services need, passed in (no singletons): the catalog, the operations queue, ARN settings. */
export interface Services {
  readonly catalog: Catalog;
  readonly queue: Queue;
  readonly arns: ArnContext;
  readonly runtime: 'docker' | 'process' | 'auto';
  /** Seals and opens the catalog's secret columns (clusters' control-plane password and CA key). */
  readonly box: SecretBox;
}
