/**
 * The handler of every job in the catalog. The type requires one entry per JobName, with that job's
 * payload type, so adding a job to JOBS without a handler here does not compile.
 */
import type { JobName, JobPayload } from './catalog.js';
import type { JobContext } from './context.js';
import { createCluster } from './create-cluster.js';
import { deleteCluster } from './delete-cluster.js';
import { rebootBroker } from './reboot-broker.js';
import { updateBrokerCount } from './update-broker-count.js';
import { updateBrokerType } from './update-broker-type.js';
import { updateConfiguration } from './update-configuration.js';
import { updateKafkaVersion } from './update-kafka-version.js';
import { updateSecurity } from './update-security.js';
import { updateStorage } from './update-storage.js';

export type JobHandlers = { readonly [N in JobName]: (payload: JobPayload<N>, ctx: JobContext) => Promise<void> };

export const handlers: JobHandlers = {
  'create-cluster': createCluster,
  'delete-cluster': deleteCluster,
  'reboot-broker': rebootBroker,
  'update-broker-type': updateBrokerType,
  'update-configuration': updateConfiguration,
  'update-kafka-version': updateKafkaVersion,
  'update-broker-count': updateBrokerCount,
  'update-storage': updateStorage,
  'update-security': updateSecurity,
};
