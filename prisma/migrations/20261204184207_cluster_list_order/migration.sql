-- CreateIndex
CREATE INDEX "Cluster_createdAt_arn_idx" ON "Cluster"("createdAt", "arn");

