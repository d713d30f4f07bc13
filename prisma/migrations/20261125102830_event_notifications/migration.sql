-- The event stream (GET /v1/events): every change of a cluster's state and of an operation (its state
-- or a step) is announced on the "flotilla_events" channel with pg_notify, whoever made it (the API or
-- any worker job). The API LISTENs and forwards the announcements as server-sent events. Triggers are
-- not part of Prisma's schema language, so this migration is written by hand; schema.prisma is unchanged.
-- Payloads stay far below pg_notify's 8000-byte limit: ids, ARNs, states and a step's name only.

CREATE OR REPLACE FUNCTION flotilla_notify_cluster() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('flotilla_events', json_build_object(
      'type', 'cluster', 'clusterArn', OLD."arn", 'clusterName', OLD."name", 'state', 'DELETED')::text);
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' OR NEW."state" IS DISTINCT FROM OLD."state" THEN
    PERFORM pg_notify('flotilla_events', json_build_object(
      'type', 'cluster', 'clusterArn', NEW."arn", 'clusterName', NEW."name", 'state', NEW."state",
      'stateCode', NEW."stateCode", 'stateMessage', left(NEW."stateMessage", 1000))::text);
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "Cluster_notify" AFTER INSERT OR UPDATE OR DELETE ON "Cluster"
  FOR EACH ROW EXECUTE FUNCTION flotilla_notify_cluster();

CREATE OR REPLACE FUNCTION flotilla_notify_operation() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW."operationState" IS DISTINCT FROM OLD."operationState" THEN
    PERFORM pg_notify('flotilla_events', json_build_object(
      'type', 'operation', 'operationArn', NEW."arn", 'clusterArn', NEW."clusterArn",
      'operationType', NEW."operationType", 'operationState', NEW."operationState",
      'errorCode', NEW."errorCode", 'errorString', left(NEW."errorString", 1000))::text);
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "ClusterOperation_notify" AFTER INSERT OR UPDATE ON "ClusterOperation"
  FOR EACH ROW EXECUTE FUNCTION flotilla_notify_operation();

CREATE OR REPLACE FUNCTION flotilla_notify_step() RETURNS trigger AS $$
DECLARE op RECORD;
BEGIN
  IF TG_OP = 'INSERT' OR NEW."status" IS DISTINCT FROM OLD."status" THEN
    SELECT "arn", "clusterArn", "operationType" INTO op FROM "ClusterOperation" WHERE "id" = NEW."operationId";
    PERFORM pg_notify('flotilla_events', json_build_object(
      'type', 'operation-step', 'operationArn', op."arn", 'clusterArn', op."clusterArn",
      'operationType', op."operationType", 'stepName', NEW."name", 'stepStatus', NEW."status")::text);
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "OperationStep_notify" AFTER INSERT OR UPDATE ON "OperationStep"
  FOR EACH ROW EXECUTE FUNCTION flotilla_notify_step();
