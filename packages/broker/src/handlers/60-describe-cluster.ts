/** DescribeCluster (key 60), v0-1: cluster id, controller and brokers (what AdminClient.describeCluster uses). */
import { ApiKey, defaultDescribeClusterResponse } from '@flotilla/protocol';
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType } from '../security/acl.js';
import { authorizedOperations, clusterDenial } from '../security/request-authorization.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from './03-metadata.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request) {
    const { image, nodeId } = ctx.broker;
    const denied = clusterDenial(ctx, AclOperation.DESCRIBE);
    if (denied)
      return { ...defaultDescribeClusterResponse(), errorCode: denied, errorMessage: 'Authorization failed.' };
    return {
      ...defaultDescribeClusterResponse(),
      clusterId: image.clusterId,
      controllerId: ctx.broker.controllerId?.() ?? nodeId,
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
        ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME)
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
