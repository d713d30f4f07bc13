/**
 * What DescribeClusterV2 and ListClustersV2 show of a cluster, read in one SQL statement each: the
 * cluster's columns that MSK's Cluster shape needs (not its sealed secrets, not its brokers), its tags
 * and, while it is busy, its running operation's ARN.
 *
 * Written in SQL on the catalog's own pool rather than with Prisma: these are the calls clients poll
 * (MSK callers describe a cluster until its state changes), and Prisma's per-query cost (its WASM query
 * compiler and plan interpreter, then a second and third query for the tags and the operation) was
 * most of the API's CPU per request under 200 concurrent connections (issue 6). No cache: every call
 * reads the committed rows, so a state or currentVersion written by the worker shows at once.
 * The statements are named, so each pooled connection parses and plans them once.
 */
import { type Catalog, catalogPool } from '../client.js';
import type { Cluster } from '../generated/prisma/client.js';

export type ClusterView = Pick<
  Cluster,
  | 'arn'
  | 'name'
  | 'clusterType'
  | 'state'
  | 'stateCode'
  | 'stateMessage'
  | 'currentVersion'
  | 'kafkaVersion'
  | 'numberOfBrokerNodes'
  | 'brokerNodeGroupInfo'
  | 'encryptionInfo'
  | 'clientAuthentication'
  | 'enhancedMonitoring'
  | 'openMonitoring'
  | 'loggingInfo'
  | 'storageMode'
  | 'configurationArn'
  | 'configurationRevision'
  | 'createdAt'
> & {
  /** The cluster's tags (TagResource), by key. */
  readonly tags: Record<string, string>;
  /** The newest PENDING or UPDATE_IN_PROGRESS operation's ARN while the cluster is neither ACTIVE nor FAILED. */
  readonly activeOperationArn: string | null;
};

// createdAt is stored as timestamp(3) in UTC (Prisma's DateTime): read it as timestamptz so node-postgres
// does not take it for local time.
const VIEW_COLUMNS = `
  c.arn, c.name, c."clusterType", c.state, c."stateCode", c."stateMessage", c."currentVersion",
  c."kafkaVersion", c."numberOfBrokerNodes", c."brokerNodeGroupInfo", c."encryptionInfo",
  c."clientAuthentication", c."enhancedMonitoring", c."openMonitoring", c."loggingInfo", c."storageMode",
  c."configurationArn", c."configurationRevision", c."createdAt" AT TIME ZONE 'UTC' AS "createdAt",
  (SELECT coalesce(json_object_agg(t.key, t.value ORDER BY t.key), '{}')
     FROM "Tag" t WHERE t."resourceArn" = c.arn) AS tags,
  CASE WHEN c.state NOT IN ('ACTIVE', 'FAILED') THEN
    (SELECT o.arn FROM "ClusterOperation" o
      WHERE o."clusterArn" = c.arn AND o."operationState" IN ('PENDING', 'UPDATE_IN_PROGRESS')
      ORDER BY o."startTime" DESC LIMIT 1)
  END AS "activeOperationArn"`;

const DESCRIBE = `SELECT ${VIEW_COLUMNS} FROM "Cluster" c WHERE c.arn = $1`;

// Keyset paging in creation order; the token is the last ARN of the previous page (a token whose
// cluster is gone ends the listing, as Prisma's cursor did).
const LIST = `SELECT ${VIEW_COLUMNS} FROM "Cluster" c
  WHERE ($1::text IS NULL OR c.name LIKE $1 ESCAPE '\\')
    AND ($2::text IS NULL OR (c."createdAt", c.arn) > (SELECT k."createdAt", k.arn FROM "Cluster" k WHERE k.arn = $2))
  ORDER BY c."createdAt", c.arn
  LIMIT $3`;

export async function describeClusterView(catalog: Catalog, arn: string): Promise<ClusterView | null> {
  const result = await catalogPool(catalog).query<ClusterView>({
    name: 'flotilla.describeClusterView',
    text: DESCRIBE,
    values: [arn],
  });
  return result.rows[0] ?? null;
}

export interface ClusterViewPage {
  readonly clusters: ClusterView[];
  /** The ARN to continue after, when there are more. */
  readonly nextToken: string | null;
}

/** Clusters in creation order, `maxResults` at a time, whose names start with `nameFilter` when given. */
export async function listClusterViews(
  catalog: Catalog,
  options: { nameFilter?: string; maxResults: number; nextToken?: string },
): Promise<ClusterViewPage> {
  const pattern = options.nameFilter === undefined ? null : `${options.nameFilter.replace(/[\\%_]/g, '\\$&')}%`;
  const { rows } = await catalogPool(catalog).query<ClusterView>({
    name: 'flotilla.listClusterViews',
    text: LIST,
    values: [pattern, options.nextToken ?? null, options.maxResults + 1],
  });
  const more = rows.length > options.maxResults;
  const clusters = more ? rows.slice(0, options.maxResults) : rows;
  return { clusters, nextToken: more ? (clusters.at(-1)?.arn ?? null) : null };
}
