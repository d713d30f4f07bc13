/**
 * DescribeCluster (key 60), v0-1: cluster id, controller and brokers (what AdminClient.describeCluster
 * uses). As in Kafka, a broker answers any authenticated client, like Metadata: Describe on the
 * cluster only decides whether the authorized operations asked for are reported (else 0). On the
 * controller listener Kafka's ControllerApis asks for Alter on the cluster, and so does this one.
 */
import { ApiKey, defaultDescribeClusterResponse } from '@flotilla/protocol';
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType } from '../security/acl.js';
import { authorizedOnCluster, authorizedOperations, clusterDenial } from '../security/request-authorization.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from './03-metadata.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request) {
    const { image, nodeId, config } = ctx.broker;
    const onControllerListener = config.controllerListeners.some((l) => l.name === ctx.connection.listenerName);
    const denied = onControllerListener ? clusterDenial(ctx, AclOperation.ALTER) : 0;
    if (denied)
      return { ...defaultDescribeClusterResponse(), errorCode: denied, errorMessage: 'Authorization failed.' };
    const operations = () =>
      authorizedOnCluster(ctx, AclOperation.DESCRIBE)
        ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME)
        : 0;
    return {
      ...defaultDescribeClusterResponse(),
      clusterId: image.clusterId,
      controllerId: ctx.broker.controllerId?.() ?? nodeId,
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
        ? operations()
        : AUTHORIZED_OPERATIONS_OMITTED,
      brokers: [...image.brokers.values()]
        .filter((b) => !b.fenced)
        .flatMap((b) => {
          const e = b.endpoints.find((x) => x.name === ctx.connection.listenerName) ?? b.endpoints[0];
          return e ? [{ brokerId: b.id, host: e.host, port: e.port, rack: b.rack }] : [];
        }),
    };
  },
});
