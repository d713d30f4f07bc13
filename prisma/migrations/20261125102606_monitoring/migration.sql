-- CreateTable
CREATE TABLE "MetricSample" (
    "clusterId" UUID NOT NULL,
    "metric" TEXT NOT NULL,
    "dimensions" TEXT NOT NULL DEFAULT '',
    "resolution" INTEGER NOT NULL DEFAULT 0,
    "time" TIMESTAMPTZ(3) NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "MetricSample_pkey" PRIMARY KEY ("clusterId","metric","dimensions","resolution","time")
);

-- CreateTable
CREATE TABLE "MonitoringAlarm" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL,
    "comparison" TEXT NOT NULL DEFAULT 'GreaterThanThreshold',
    "webhookUrl" TEXT,
    "state" TEXT NOT NULL DEFAULT 'OK',
    "stateReason" TEXT,
    "stateUpdatedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MonitoringAlarm_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "MetricSample_resolution_time_idx" ON "MetricSample"("resolution", "time");

-- CreateIndex
CREATE UNIQUE INDEX "MonitoringAlarm_clusterId_name_key" ON "MonitoringAlarm"("clusterId", "name");

-- AddForeignKey
ALTER TABLE "MonitoringAlarm" ADD CONSTRAINT "MonitoringAlarm_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

