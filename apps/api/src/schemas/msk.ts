/**
 * MSK's request and response shapes (the AWS "kafka" service model, 2018-11-14), member names as the
 * REST-JSON wire carries them (camelCase jsonName), as JSON Schema through TypeBox. Requests reject
 * unknown members (additionalProperties: false) so a typo is a BadRequestException naming it instead
 * of a silently ignored setting. Timestamps are ISO 8601 (the model's timestampFormat "date-time");
 * blobs (serverProperties) are base64.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;
/** Nested structures we store and echo without interpreting: any members, passed through. */
const Open = (description: string) => Type.Object({}, { additionalProperties: true, description });

export const ErrorBody = Type.Object(
  {
    message: Type.String(),
    invalidParameter: Type.Optional(Type.String()),
  },
  { $id: 'MskError', description: "MSK's error body; the exception name is in the x-amzn-ErrorType header" },
);

export const errorResponses = {
  400: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  500: ErrorBody,
};

export const ClusterNameSchema = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[0-9A-Za-z][0-9A-Za-z-]{0,63}$',
  description: 'MSK cluster name: letters, digits and hyphens, starting with a letter or digit',
});

export const TagsSchema = Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.String({ maxLength: 256 }));

export const StorageInfo = Type.Object(
  {
    ebsStorageInfo: Type.Optional(
      Type.Object(
        {
          volumeSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 16384 })),
          provisionedThroughput: Type.Optional(
            Type.Object(
              { enabled: Type.Optional(Type.Boolean()), volumeThroughput: Type.Optional(Type.Integer()) },
              closed,
            ),
          ),
        },
        closed,
      ),
    ),
  },
  closed,
);

export const BrokerNodeGroupInfo = Type.Object(
  {
    clientSubnets: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 3 }),
    instanceType: Type.String({ minLength: 5, maxLength: 32 }),
    brokerAZDistribution: Type.Optional(Type.Literal('DEFAULT')),
    securityGroups: Type.Optional(Type.Array(Type.String(), { maxItems: 5 })),
    storageInfo: Type.Optional(StorageInfo),
    connectivityInfo: Type.Optional(Open('ConnectivityInfo')),
    zoneIds: Type.Optional(Type.Array(Type.String())),
  },
  closed,
);

export const ConfigurationInfo = Type.Object(
  {
    arn: Type.String({ minLength: 1 }),
    revision: Type.Integer({ minimum: 1 }),
  },
  closed,
);

export const EnhancedMonitoring = Type.Union([
  Type.Literal('DEFAULT'),
  Type.Literal('PER_BROKER'),
  Type.Literal('PER_TOPIC_PER_BROKER'),
  Type.Literal('PER_TOPIC_PER_PARTITION'),
]);

export const ProvisionedRequest = Type.Object(
  {
    brokerNodeGroupInfo: BrokerNodeGroupInfo,
    kafkaVersion: Type.String({ minLength: 1, maxLength: 128 }),
    numberOfBrokerNodes: Type.Integer({ minimum: 1, maximum: 45 }),
    rebalancing: Type.Optional(Open('Rebalancing')),
    clientAuthentication: Type.Optional(Open('ClientAuthentication')),
    configurationInfo: Type.Optional(ConfigurationInfo),
    encryptionInfo: Type.Optional(Open('EncryptionInfo')),
    enhancedMonitoring: Type.Optional(EnhancedMonitoring),
    openMonitoring: Type.Optional(Open('OpenMonitoringInfo')),
    loggingInfo: Type.Optional(Open('LoggingInfo')),
    storageMode: Type.Optional(Type.Union([Type.Literal('LOCAL'), Type.Literal('TIERED')])),
  },
  closed,
);

export const CreateClusterV2Request = Type.Object(
  {
    clusterName: ClusterNameSchema,
    tags: Type.Optional(TagsSchema),
    provisioned: Type.Optional(ProvisionedRequest),
    serverless: Type.Optional(Open('ServerlessRequest')),
  },
  closed,
);
export type CreateClusterV2Request = Static<typeof CreateClusterV2Request>;

/** CreateCluster (v1): the provisioned members at the top level instead of under `provisioned`. */
export const CreateClusterRequest = Type.Object(
  {
    clusterName: ClusterNameSchema,
    tags: Type.Optional(TagsSchema),
    ...ProvisionedRequest.properties,
  },
  closed,
);
export type CreateClusterRequest = Static<typeof CreateClusterRequest>;

export const CreateClusterResponse = Type.Object({
  clusterArn: Type.String(),
  clusterName: Type.String(),
  state: Type.String(),
});

export const CreateClusterV2Response = Type.Object({
  clusterArn: Type.String(),
  clusterName: Type.String(),
  state: Type.String(),
  clusterType: Type.String(),
});

export const StateInfo = Type.Object({ code: Type.Optional(Type.String()), message: Type.Optional(Type.String()) });

export const BrokerSoftwareInfo = Type.Object({
  configurationArn: Type.Optional(Type.String()),
  configurationRevision: Type.Optional(Type.Integer()),
  kafkaVersion: Type.Optional(Type.String()),
});

/** MSK's Cluster (V2) as DescribeClusterV2 / ListClustersV2 return it. */
export const Cluster = Type.Object(
  {
    activeOperationArn: Type.Optional(Type.String()),
    clusterType: Type.String(),
    clusterArn: Type.String(),
    clusterName: Type.String(),
    creationTime: Type.String({ format: 'date-time' }),
    currentVersion: Type.String(),
    state: Type.String(),
    stateInfo: Type.Optional(StateInfo),
    tags: Type.Optional(TagsSchema),
    provisioned: Type.Optional(
      Type.Object({
        brokerNodeGroupInfo: Open('BrokerNodeGroupInfo'),
        currentBrokerSoftwareInfo: Type.Optional(BrokerSoftwareInfo),
        clientAuthentication: Type.Optional(Open('ClientAuthentication')),
        encryptionInfo: Type.Optional(Open('EncryptionInfo')),
        enhancedMonitoring: Type.Optional(Type.String()),
        openMonitoring: Type.Optional(Open('OpenMonitoringInfo')),
        loggingInfo: Type.Optional(Open('LoggingInfo')),
        numberOfBrokerNodes: Type.Integer(),
        storageMode: Type.Optional(Type.String()),
      }),
    ),
  },
  { $id: 'Cluster' },
);
export type Cluster = Static<typeof Cluster>;

/** MSK's ClusterInfo, the v1 shape of DescribeCluster / ListClusters: provisioned members at the top. */
export const ClusterInfo = Type.Object(
  {
    activeOperationArn: Type.Optional(Type.String()),
    brokerNodeGroupInfo: Open('BrokerNodeGroupInfo'),
    clientAuthentication: Type.Optional(Open('ClientAuthentication')),
    clusterArn: Type.String(),
    clusterName: Type.String(),
    creationTime: Type.String({ format: 'date-time' }),
    currentBrokerSoftwareInfo: Type.Optional(BrokerSoftwareInfo),
    currentVersion: Type.String(),
    encryptionInfo: Type.Optional(Open('EncryptionInfo')),
    enhancedMonitoring: Type.Optional(Type.String()),
    openMonitoring: Type.Optional(Open('OpenMonitoring')),
    loggingInfo: Type.Optional(Open('LoggingInfo')),
    numberOfBrokerNodes: Type.Integer(),
    state: Type.String(),
    stateInfo: Type.Optional(StateInfo),
    tags: Type.Optional(TagsSchema),
    storageMode: Type.Optional(Type.String()),
  },
  { $id: 'ClusterInfo' },
);

export const ListClustersQuery = Type.Object({ clusterNameFilter: Type.Optional(Type.String()), ...PageQuery_() });
export const ListClustersResponse = Type.Object({
  clusterInfoList: Type.Array(Type.Ref('ClusterInfo')),
  nextToken: Type.Optional(Type.String()),
});

export const ClusterArnParams = Type.Object({ clusterArn: Type.String({ minLength: 1 }) });
export const ArnParams = Type.Object({ arn: Type.String({ minLength: 1 }) });

function PageQuery_() {
  return {
    maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    nextToken: Type.Optional(Type.String()),
  };
}

export const PageQuery = {
  maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  nextToken: Type.Optional(Type.String()),
};

export const ListClustersV2Query = Type.Object({
  clusterNameFilter: Type.Optional(Type.String()),
  clusterTypeFilter: Type.Optional(Type.String()),
  ...PageQuery,
});

export const ListClustersV2Response = Type.Object({
  clusterInfoList: Type.Array(Type.Ref('Cluster')),
  nextToken: Type.Optional(Type.String()),
});

export const DeleteClusterQuery = Type.Object({ currentVersion: Type.Optional(Type.String()) });
export const DeleteClusterResponse = Type.Object({ clusterArn: Type.String(), state: Type.String() });

export const GetBootstrapBrokersResponse = Type.Object({
  bootstrapBrokerString: Type.Optional(Type.String()),
  bootstrapBrokerStringTls: Type.Optional(Type.String()),
  bootstrapBrokerStringSaslScram: Type.Optional(Type.String()),
});

export const NodeInfo = Type.Object({
  addedToClusterTime: Type.String(),
  brokerNodeInfo: Type.Object({
    attachedENIId: Type.Optional(Type.String()),
    brokerId: Type.Number(),
    clientSubnet: Type.Optional(Type.String()),
    clientVpcIpAddress: Type.Optional(Type.String()),
    currentBrokerSoftwareInfo: Type.Optional(BrokerSoftwareInfo),
    endpoints: Type.Array(Type.String()),
  }),
  instanceType: Type.String(),
  nodeARN: Type.String(),
  nodeType: Type.String(),
});

export const ListNodesResponse = Type.Object({
  nodeInfoList: Type.Array(NodeInfo),
  nextToken: Type.Optional(Type.String()),
});

// Configurations

export const ConfigurationRevision = Type.Object({
  creationTime: Type.String({ format: 'date-time' }),
  description: Type.Optional(Type.String()),
  revision: Type.Integer(),
});

export const Configuration = Type.Object({
  arn: Type.String(),
  creationTime: Type.String({ format: 'date-time' }),
  description: Type.String(),
  kafkaVersions: Type.Array(Type.String()),
  latestRevision: ConfigurationRevision,
  name: Type.String(),
  state: Type.String(),
});

/** base64 of the server.properties text, as the model's blob type travels in JSON. */
const ServerProperties = Type.String({ minLength: 1, maxLength: 1_400_000, contentEncoding: 'base64' });

export const CreateConfigurationRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z][0-9A-Za-z-]{0,63}$' }),
    serverProperties: ServerProperties,
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    kafkaVersions: Type.Optional(Type.Array(Type.String())),
  },
  closed,
);
export type CreateConfigurationRequest = Static<typeof CreateConfigurationRequest>;

export const CreateConfigurationResponse = Type.Object({
  arn: Type.String(),
  creationTime: Type.String({ format: 'date-time' }),
  latestRevision: ConfigurationRevision,
  name: Type.String(),
  state: Type.String(),
});

export const DescribeConfigurationRevisionResponse = Type.Object({
  arn: Type.String(),
  creationTime: Type.String({ format: 'date-time' }),
  description: Type.Optional(Type.String()),
  revision: Type.Integer(),
  serverProperties: Type.String(),
});

export const ListConfigurationsResponse = Type.Object({
  configurations: Type.Array(Configuration),
  nextToken: Type.Optional(Type.String()),
});

export const ListConfigurationRevisionsResponse = Type.Object({
  revisions: Type.Array(ConfigurationRevision),
  nextToken: Type.Optional(Type.String()),
});

export const UpdateConfigurationRequest = Type.Object(
  { serverProperties: ServerProperties, description: Type.Optional(Type.String({ maxLength: 1024 })) },
  closed,
);

export const UpdateConfigurationResponse = Type.Object({ arn: Type.String(), latestRevision: ConfigurationRevision });
export const DeleteConfigurationResponse = Type.Object({ arn: Type.String(), state: Type.String() });

// Versions

export const ListKafkaVersionsResponse = Type.Object({
  kafkaVersions: Type.Array(Type.Object({ version: Type.String(), status: Type.String() })),
  nextToken: Type.Optional(Type.String()),
});

export const GetCompatibleKafkaVersionsResponse = Type.Object({
  compatibleKafkaVersions: Type.Array(
    Type.Object({ sourceVersion: Type.String(), targetVersions: Type.Array(Type.String()) }),
  ),
});

// Operations

export const ClusterOperationStep = Type.Object({
  stepInfo: Type.Object({ stepStatus: Type.String() }),
  stepName: Type.String(),
});

export const ClusterOperationV2Summary = Type.Object({
  clusterArn: Type.String(),
  clusterType: Type.String(),
  startTime: Type.String({ format: 'date-time' }),
  endTime: Type.Optional(Type.String({ format: 'date-time' })),
  operationArn: Type.String(),
  operationState: Type.String(),
  operationType: Type.String(),
});

export const ClusterOperationV2 = Type.Object({
  clusterArn: Type.String(),
  clusterType: Type.String(),
  startTime: Type.String({ format: 'date-time' }),
  endTime: Type.Optional(Type.String({ format: 'date-time' })),
  errorInfo: Type.Optional(
    Type.Object({ errorCode: Type.Optional(Type.String()), errorString: Type.Optional(Type.String()) }),
  ),
  operationArn: Type.String(),
  operationState: Type.String(),
  operationType: Type.String(),
  provisioned: Type.Object({
    operationSteps: Type.Array(ClusterOperationStep),
    sourceClusterInfo: Type.Optional(Open('MutableClusterInfo')),
    targetClusterInfo: Type.Optional(Open('MutableClusterInfo')),
  }),
});

export const ListClusterOperationsV2Response = Type.Object({
  clusterOperationInfoList: Type.Array(ClusterOperationV2Summary),
  nextToken: Type.Optional(Type.String()),
});

/** ClusterOperationInfo, the v1 shape of DescribeClusterOperation / ListClusterOperations. */
export const ClusterOperationInfo = Type.Object({
  clusterArn: Type.String(),
  creationTime: Type.String({ format: 'date-time' }),
  endTime: Type.Optional(Type.String({ format: 'date-time' })),
  errorInfo: Type.Optional(
    Type.Object({ errorCode: Type.Optional(Type.String()), errorString: Type.Optional(Type.String()) }),
  ),
  operationArn: Type.String(),
  operationState: Type.String(),
  operationSteps: Type.Array(ClusterOperationStep),
  operationType: Type.String(),
  sourceClusterInfo: Type.Optional(Open('MutableClusterInfo')),
  targetClusterInfo: Type.Optional(Open('MutableClusterInfo')),
});

export const ListClusterOperationsResponse = Type.Object({
  clusterOperationInfoList: Type.Array(ClusterOperationInfo),
  nextToken: Type.Optional(Type.String()),
});

export const DescribeClusterOperationV2Response = Type.Object({ clusterOperationInfo: ClusterOperationV2 });

// Tags

export const ResourceArnParams = Type.Object({ resourceArn: Type.String({ minLength: 1 }) });
export const TagResourceRequest = Type.Object({ tags: TagsSchema }, closed);
export const UntagResourceQuery = Type.Object({
  tagKeys: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
});
export const ListTagsForResourceResponse = Type.Object({ tags: TagsSchema });

/** Shared schemas registered once with fastify.addSchema, referenced with Type.Ref. */
export const sharedSchemas: TSchema[] = [ErrorBody, Cluster, ClusterInfo];
