-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "ClusterState" AS ENUM ('ACTIVE', 'CREATING', 'DELETING', 'FAILED', 'HEALING', 'MAINTENANCE', 'REBOOTING_BROKER', 'UPDATING');

-- CreateEnum
CREATE TYPE "BrokerState" AS ENUM ('PENDING', 'STARTING', 'RUNNING', 'STOPPED', 'FAILED');

-- CreateEnum
CREATE TYPE "ConfigurationState" AS ENUM ('ACTIVE', 'DELETING', 'DELETE_FAILED');

-- CreateEnum
CREATE TYPE "OperationState" AS ENUM ('PENDING', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE', 'UPDATE_FAILED');

-- CreateEnum
CREATE TYPE "StepStatus" AS ENUM ('PENDING', 'IN_PROGRESS', 'COMPLETE', 'FAILED');

-- CreateTable
CREATE TABLE "Cluster" (
    "id" UUID NOT NULL,
    "arn" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "clusterType" TEXT NOT NULL DEFAULT 'PROVISIONED',
    "state" "ClusterState" NOT NULL DEFAULT 'CREATING',
    "stateCode" TEXT,
    "stateMessage" TEXT,
    "currentVersion" TEXT NOT NULL,
    "kafkaVersion" TEXT NOT NULL,
    "numberOfBrokerNodes" INTEGER NOT NULL,
    "brokerNodeGroupInfo" JSONB NOT NULL,
    "instanceType" TEXT NOT NULL,
    "volumeSizeGiB" INTEGER NOT NULL,
    "encryptionInfo" JSONB,
    "clientAuthentication" JSONB,
    "enhancedMonitoring" TEXT NOT NULL DEFAULT 'DEFAULT',
    "openMonitoring" JSONB,
    "loggingInfo" JSONB,
    "storageMode" TEXT NOT NULL DEFAULT 'LOCAL',
    "configurationArn" TEXT,
    "configurationRevision" INTEGER,
    "bootstrapBrokerString" TEXT,
    "bootstrapBrokerStringTls" TEXT,
    "bootstrapBrokerStringSaslScram" TEXT,
    "runtime" TEXT NOT NULL,
    "networkId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Cluster_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Broker" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "nodeId" INTEGER NOT NULL,
    "host" TEXT,
    "port" INTEGER,
    "containerId" TEXT,
    "volume" TEXT,
    "state" "BrokerState" NOT NULL DEFAULT 'PENDING',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Broker_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Configuration" (
    "id" UUID NOT NULL,
    "arn" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "kafkaVersions" TEXT[],
    "state" "ConfigurationState" NOT NULL DEFAULT 'ACTIVE',
    "latestRevision" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Configuration_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConfigurationRevision" (
    "configurationId" UUID NOT NULL,
    "revision" INTEGER NOT NULL,
    "description" TEXT,
    "serverProperties" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConfigurationRevision_pkey" PRIMARY KEY ("configurationId","revision")
);

-- CreateTable
CREATE TABLE "KafkaVersion" (
    "version" TEXT NOT NULL,
    "imageTag" TEXT NOT NULL,
    "protocolLevel" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'ACTIVE',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "KafkaVersion_pkey" PRIMARY KEY ("version")
);

-- CreateTable
CREATE TABLE "ClusterOperation" (
    "id" UUID NOT NULL,
    "arn" TEXT NOT NULL,
    "clusterId" UUID,
    "clusterArn" TEXT NOT NULL,
    "operationType" TEXT NOT NULL,
    "operationState" "OperationState" NOT NULL DEFAULT 'PENDING',
    "clientRequestId" TEXT,
    "sourceClusterInfo" JSONB,
    "targetClusterInfo" JSONB,
    "errorCode" TEXT,
    "errorString" TEXT,
    "jobId" TEXT,
    "startTime" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endTime" TIMESTAMP(3),

    CONSTRAINT "ClusterOperation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OperationStep" (
    "operationId" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "status" "StepStatus" NOT NULL DEFAULT 'PENDING',
    "detail" JSONB,
    "error" TEXT,
    "startedAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),

    CONSTRAINT "OperationStep_pkey" PRIMARY KEY ("operationId","index")
);

-- CreateTable
CREATE TABLE "Topic" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "topicArn" TEXT NOT NULL,
    "partitionCount" INTEGER NOT NULL,
    "replicationFactor" INTEGER NOT NULL,
    "configs" JSONB NOT NULL DEFAULT '{}',
    "origin" TEXT NOT NULL DEFAULT 'api',
    "state" TEXT NOT NULL DEFAULT 'ACTIVE',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Topic_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Acl" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "resourceType" TEXT NOT NULL,
    "resourceName" TEXT NOT NULL,
    "patternType" TEXT NOT NULL,
    "principal" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "permissionType" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Acl_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScramUser" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "username" TEXT NOT NULL,
    "mechanism" TEXT NOT NULL DEFAULT 'SCRAM-SHA-512',
    "secretRef" TEXT NOT NULL,
    "salt" BYTEA NOT NULL,
    "iterations" INTEGER NOT NULL,
    "storedKey" BYTEA NOT NULL,
    "serverKey" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ScramUser_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AccessKey" (
    "accessKeyId" TEXT NOT NULL,
    "secretEncrypted" BYTEA NOT NULL,
    "description" TEXT,
    "isAdmin" BOOLEAN NOT NULL DEFAULT false,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "AccessKey_pkey" PRIMARY KEY ("accessKeyId")
);

-- CreateTable
CREATE TABLE "Tag" (
    "resourceArn" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "Tag_pkey" PRIMARY KEY ("resourceArn","key")
);

-- CreateIndex
CREATE UNIQUE INDEX "Cluster_arn_key" ON "Cluster"("arn");

-- CreateIndex
CREATE UNIQUE INDEX "Cluster_name_key" ON "Cluster"("name");

-- CreateIndex
CREATE INDEX "Cluster_state_idx" ON "Cluster"("state");

-- CreateIndex
CREATE UNIQUE INDEX "Broker_clusterId_nodeId_key" ON "Broker"("clusterId", "nodeId");

-- CreateIndex
CREATE UNIQUE INDEX "Configuration_arn_key" ON "Configuration"("arn");

-- CreateIndex
CREATE UNIQUE INDEX "Configuration_name_key" ON "Configuration"("name");

-- CreateIndex
CREATE UNIQUE INDEX "ClusterOperation_arn_key" ON "ClusterOperation"("arn");

-- CreateIndex
CREATE INDEX "ClusterOperation_clusterArn_startTime_idx" ON "ClusterOperation"("clusterArn", "startTime");

-- CreateIndex
CREATE UNIQUE INDEX "OperationStep_operationId_name_key" ON "OperationStep"("operationId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Topic_topicArn_key" ON "Topic"("topicArn");

-- CreateIndex
CREATE UNIQUE INDEX "Topic_clusterId_name_key" ON "Topic"("clusterId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Acl_clusterId_resourceType_resourceName_patternType_princip_key" ON "Acl"("clusterId", "resourceType", "resourceName", "patternType", "principal", "host", "operation", "permissionType");

-- CreateIndex
CREATE UNIQUE INDEX "ScramUser_clusterId_username_key" ON "ScramUser"("clusterId", "username");

-- AddForeignKey
ALTER TABLE "Broker" ADD CONSTRAINT "Broker_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ConfigurationRevision" ADD CONSTRAINT "ConfigurationRevision_configurationId_fkey" FOREIGN KEY ("configurationId") REFERENCES "Configuration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ClusterOperation" ADD CONSTRAINT "ClusterOperation_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OperationStep" ADD CONSTRAINT "OperationStep_operationId_fkey" FOREIGN KEY ("operationId") REFERENCES "ClusterOperation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Topic" ADD CONSTRAINT "Topic_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Acl" ADD CONSTRAINT "Acl_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ScramUser" ADD CONSTRAINT "ScramUser_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

