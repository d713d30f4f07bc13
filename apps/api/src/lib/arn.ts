/**
 * ARNs in MSK's formats, with the region and account from the configuration:
 *   cluster        arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID-N
 *   configuration  arn:aws:kafka:REGION:ACCOUNT:configuration/NAME/UUID-N
 *   operation      arn:aws:kafka:REGION:ACCOUNT:cluster-operation/NAME/UUID-N/OPERATION-UUID
 * MSK's suffix is the UUID plus "-" and a small number; we use "-1".
 */
export interface ArnContext {
  readonly region: string;
  readonly accountId: string;
}

const PREFIX = 'arn:aws:kafka';

export function clusterArn(ctx: ArnContext, name: string, id: string): string {
  return `${PREFIX}:${ctx.region}:${ctx.accountId}:cluster/${name}/${id}-1`;
}

export function configurationArn(ctx: ArnContext, name: string, id: string): string {
  return `${PREFIX}:${ctx.region}:${ctx.accountId}:configuration/${name}/${id}-1`;
}

export function operationArn(ctx: ArnContext, clusterName: string, clusterId: string, operationId: string): string {
  return `${PREFIX}:${ctx.region}:${ctx.accountId}:cluster-operation/${clusterName}/${clusterId}-1/${operationId}`;
}

export function nodeArn(ctx: ArnContext, clusterName: string, clusterId: string, nodeId: number): string {
  return `${PREFIX}:${ctx.region}:${ctx.accountId}:broker/${clusterName}/${clusterId}-1/${nodeId}`;
}

/** The resource kind of an ARN of ours (`cluster`, `configuration`, ...), or null when it is not one. */
export function arnResourceType(arn: string): string | null {
  const m = /^arn:aws:kafka:[a-z0-9-]+:\d{12}:([a-z-]+)\//.exec(arn);
  return m?.[1] ?? null;
}
