-- AlterTable
ALTER TABLE "Broker" ADD COLUMN     "spec" JSONB;

