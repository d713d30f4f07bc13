/**
 * Request and response shapes of MSK's update calls (the AWS "kafka" model, 2018-11-14): RebootBroker,
 * UpdateBrokerCount, UpdateBrokerType, UpdateBrokerStorage, UpdateStorage, UpdateClusterConfiguration,
 * UpdateClusterKafkaVersion, UpdateSecurity. Members as the REST-JSON wire carries them; unknown members
 * rejected.
 */
import { type Static, Type } from '@sinclair/typebox';
import { ConfigurationInfo } from './msk.js';

const closed = { additionalProperties: false } as const;

export const UpdateResponse = Type.Object({ clusterArn: Type.String(), clusterOperationArn: Type.String() });

export const RebootBrokerRequest = Type.Object(
  { brokerIds: Type.Array(Type.String({ pattern: '^[0-9]+$' }), { minItems: 1 }) },
  closed,
);

export const UpdateBrokerCountRequest = Type.Object(
  { currentVersion: Type.String({ minLength: 1 }), targetNumberOfBrokerNodes: Type.Integer({ minimum: 1 }) },
  closed,
);

export const UpdateBrokerTypeRequest = Type.Object(
  { currentVersion: Type.String({ minLength: 1 }), targetInstanceType: Type.String({ minLength: 1 }) },
  closed,
);

export const BrokerEBSVolumeInfo = Type.Object(
  {
    kafkaBrokerNodeId: Type.String({ minLength: 1 }),
    volumeSizeGB: Type.Optional(Type.Integer({ minimum: 1, maximum: 16384 })),
    provisionedThroughput: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  closed,
);

export const UpdateBrokerStorageRequest = Type.Object(
  { currentVersion: Type.String({ minLength: 1 }), targetBrokerEBSVolumeInfo: Type.Array(BrokerEBSVolumeInfo) },
  closed,
);

export const UpdateStorageRequest = Type.Object(
  {
    currentVersion: Type.String({ minLength: 1 }),
    volumeSizeGB: Type.Optional(Type.Integer({ minimum: 1, maximum: 16384 })),
    provisionedThroughput: Type.Optional(Type.Object({}, { additionalProperties: true })),
    storageMode: Type.Optional(Type.Union([Type.Literal('LOCAL'), Type.Literal('TIERED')])),
  },
  closed,
);

export const UpdateClusterConfigurationRequest = Type.Object(
  { currentVersion: Type.String({ minLength: 1 }), configurationInfo: ConfigurationInfo },
  closed,
);

export const UpdateClusterKafkaVersionRequest = Type.Object(
  {
    currentVersion: Type.String({ minLength: 1 }),
    targetKafkaVersion: Type.String({ minLength: 1 }),
    configurationInfo: Type.Optional(ConfigurationInfo),
  },
  closed,
);

const Enabled = Type.Object({ enabled: Type.Optional(Type.Boolean()) }, closed);

/** MSK's ClientAuthentication (UpdateSecurity checks every member, so a misspelt one is a 400). */
export const ClientAuthentication = Type.Object(
  {
    sasl: Type.Optional(Type.Object({ scram: Type.Optional(Enabled), iam: Type.Optional(Enabled) }, closed)),
    tls: Type.Optional(
      Type.Object(
        {
          certificateAuthorityArnList: Type.Optional(Type.Array(Type.String())),
          enabled: Type.Optional(Type.Boolean()),
        },
        closed,
      ),
    ),
    unauthenticated: Type.Optional(Enabled),
  },
  closed,
);

/** MSK's EncryptionInfo. */
export const EncryptionInfo = Type.Object(
  {
    encryptionAtRest: Type.Optional(Type.Object({ dataVolumeKMSKeyId: Type.String() }, closed)),
    encryptionInTransit: Type.Optional(
      Type.Object(
        {
          clientBroker: Type.Optional(
            Type.Union([Type.Literal('TLS'), Type.Literal('TLS_PLAINTEXT'), Type.Literal('PLAINTEXT')]),
          ),
          inCluster: Type.Optional(Type.Boolean()),
        },
        closed,
      ),
    ),
  },
  closed,
);

export const UpdateSecurityRequest = Type.Object(
  {
    currentVersion: Type.String({ minLength: 1 }),
    clientAuthentication: Type.Optional(ClientAuthentication),
    encryptionInfo: Type.Optional(EncryptionInfo),
  },
  closed,
);

export type RebootBrokerRequest = Static<typeof RebootBrokerRequest>;
export type UpdateBrokerCountRequest = Static<typeof UpdateBrokerCountRequest>;
export type UpdateBrokerTypeRequest = Static<typeof UpdateBrokerTypeRequest>;
export type UpdateBrokerStorageRequest = Static<typeof UpdateBrokerStorageRequest>;
export type UpdateStorageRequest = Static<typeof UpdateStorageRequest>;
export type UpdateClusterConfigurationRequest = Static<typeof UpdateClusterConfigurationRequest>;
export type UpdateClusterKafkaVersionRequest = Static<typeof UpdateClusterKafkaVersionRequest>;
export type UpdateSecurityRequest = Static<typeof UpdateSecurityRequest>;
