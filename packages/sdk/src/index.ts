/**
 * @flotilla/sdk: a typed client for Flotilla's API, for Node (>= 20) and browsers. Used by the `flo`
 * CLI (apps/cli) and the web console (apps/console).
 *
 *   const client = new FlotillaClient({ endpoint: 'http://127.0.0.1:8080', credentials: { accessKeyId, secretAccessKey } });
 *   const { clusterArn } = await client.createClusterV2({ clusterName: 'orders', provisioned: { ... } });
 *   await waitForCluster(client, clusterArn);
 */
export {
  decodeServerProperties,
  decodeTopicConfigs,
  FlotillaClient,
  type FlotillaClientOptions,
  type RequestOptions,
  toBase64,
} from './client.js';
export { isSdkError, SdkError, type SdkErrorType } from './errors.js';
export { type AccessKeyCredentials, signRequest, uriEncode } from './sigv4.js';
export type * from './types.js';
export {
  collect,
  operationFinished,
  paginate,
  SETTLED_CLUSTER_STATES,
  type WaitOptions,
  waitForCluster,
  waitForOperation,
} from './wait.js';
