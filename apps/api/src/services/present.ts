/** Catalog rows to MSK's JSON shapes. */
import type { ClusterOperation, clusterViews, OperationStep } from '@flotilla/db';
import type { Cluster as MskCluster } from '../schemas/msk.js';

type Json = Record<string, unknown>;

export function presentCluster(row: clusterViews.ClusterView): MskCluster {
  return {
    ...(row.activeOperationArn ? { activeOperationArn: row.activeOperationArn } : {}),
    clusterType: row.clusterType,
    clusterArn: row.arn,
    clusterName: row.name,
    creationTime: row.createdAt.toISOString(),
    currentVersion: row.currentVersion,
    state: row.state,
    ...(row.stateCode || row.stateMessage
      ? { stateInfo: { code: row.stateCode ?? undefined, message: row.stateMessage ?? undefined } }
      : {}),
    tags: row.tags,
    provisioned: {
      brokerNodeGroupInfo: row.brokerNodeGroupInfo as Json,
      currentBrokerSoftwareInfo: {
        kafkaVersion: row.kafkaVersion,
        ...(row.configurationArn
          ? { configurationArn: row.configurationArn, configurationRevision: row.configurationRevision ?? undefined }
          : {}),
      },
      ...(row.clientAuthentication ? { clientAuthentication: row.clientAuthentication as Json } : {}),
      ...(row.encryptionInfo ? { encryptionInfo: row.encryptionInfo as Json } : {}),
      enhancedMonitoring: row.enhancedMonitoring,
      ...(row.openMonitoring ? { openMonitoring: row.openMonitoring as Json } : {}),
      ...(row.loggingInfo ? { loggingInfo: row.loggingInfo as Json } : {}),
      numberOfBrokerNodes: row.numberOfBrokerNodes,
      storageMode: row.storageMode,
    },
  };
}

const STEP_STATUS: Record<OperationStep['status'], string> = {
  PENDING: 'PENDING',
  IN_PROGRESS: 'IN_PROGRESS',
  COMPLETE: 'COMPLETE',
  FAILED: 'FAILED',
};

export function presentOperationSummary(op: ClusterOperation) {
  return {
    clusterArn: op.clusterArn,
    clusterType: 'PROVISIONED',
    startTime: op.startTime.toISOString(),
    ...(op.endTime ? { endTime: op.endTime.toISOString() } : {}),
    operationArn: op.arn,
    operationState: op.operationState,
    operationType: op.operationType,
  };
}

export function presentOperation(op: ClusterOperation & { steps: OperationStep[] }) {
  return {
    ...presentOperationSummary(op),
    ...(op.errorCode || op.errorString
      ? { errorInfo: { errorCode: op.errorCode ?? undefined, errorString: op.errorString ?? undefined } }
      : {}),
    provisioned: {
      operationSteps: op.steps.map((s) => ({ stepInfo: { stepStatus: STEP_STATUS[s.status] }, stepName: s.name })),
      ...(op.sourceClusterInfo ? { sourceClusterInfo: op.sourceClusterInfo as Json } : {}),
      ...(op.targetClusterInfo ? { targetClusterInfo: op.targetClusterInfo as Json } : {}),
    },
  };
}

/** MSK's v1 ClusterInfo: the V2 Cluster with its provisioned members moved to the top. */
export function presentClusterInfo(cluster: MskCluster) {
  const { provisioned, clusterType: _type, ...rest } = cluster;
  return {
    ...rest,
    ...provisioned,
    brokerNodeGroupInfo: provisioned?.brokerNodeGroupInfo ?? {},
    numberOfBrokerNodes: provisioned?.numberOfBrokerNodes ?? 0,
  };
}

/** MSK's v1 ClusterOperationInfo. */
export function presentOperationV1(op: ClusterOperation & { steps: OperationStep[] }) {
  const v2 = presentOperation(op);
  return {
    clusterArn: v2.clusterArn,
    creationTime: v2.startTime,
    ...(v2.endTime ? { endTime: v2.endTime } : {}),
    ...(v2.errorInfo ? { errorInfo: v2.errorInfo } : {}),
    operationArn: v2.operationArn,
    operationState: v2.operationState,
    operationSteps: v2.provisioned.operationSteps,
    operationType: v2.operationType,
    ...(v2.provisioned.sourceClusterInfo ? { sourceClusterInfo: v2.provisioned.sourceClusterInfo } : {}),
    ...(v2.provisioned.targetClusterInfo ? { targetClusterInfo: v2.provisioned.targetClusterInfo } : {}),
  };
}
