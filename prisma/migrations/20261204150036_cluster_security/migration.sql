-- AlterTable
ALTER TABLE "Cluster" ADD COLUMN     "caCertificate" TEXT,
ADD COLUMN     "caPrivateKeySealed" BYTEA,
ADD COLUMN     "controlPlaneBootstrap" TEXT,
ADD COLUMN     "controlPlanePasswordSealed" BYTEA;

