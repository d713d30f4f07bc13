/**
 * Who is asking on the controller listener. Its peers are the cluster's own nodes (Raft, broker
 * registrations and heartbeats, internal topic creation, producer id blocks), so a bare request there
 * runs as the cluster's principal, which the controller's authorizer lets do anything, as Kafka lets
 * its brokers' principal (a super user). A client's request forwarded by a broker arrives in an
 * Envelope and runs as that client (handlers/58-envelope.ts), so ACLs still apply to it.
 *
 * The trust this implies is Kafka's too: the controller listener must be reachable only by the
 * cluster's nodes (a private network), or be given SASL/TLS like any listener.
 */
import type { DecodedRequestHeader } from '@flotilla/protocol';
import type { RequestContext, RequestDispatcher } from '../network/connection.js';
import type { Authorizer, Requester } from '../security/authorizer.js';

export const CLUSTER_PRINCIPAL = 'User:__flotilla_cluster';

/** Runs every request of the controller listener as the cluster's principal (Envelope then narrows it). */
export function controllerListenerDispatcher(inner: RequestDispatcher): RequestDispatcher {
  return {
    handle: (ctx: RequestContext, body: unknown) =>
      inner.handle({ ...ctx, connection: { ...ctx.connection, principal: CLUSTER_PRINCIPAL } }, body),
    supports: (apiKey: number, version: number) => inner.supports(apiKey, version),
    unsupportedVersionResponse: (header: DecodedRequestHeader) => inner.unsupportedVersionResponse(header),
    onRequest: (header, latencyMs, requestBytes, responseBytes) =>
      inner.onRequest?.(header, latencyMs, requestBytes, responseBytes),
  };
}

/** The broker's authorizer, with the cluster's own principal allowed everything. */
export function trustingCluster(authorizer: Authorizer): Authorizer {
  const trusted = (who: Requester) => who.principal === CLUSTER_PRINCIPAL;
  return {
    get enabled() {
      return authorizer.enabled;
    },
    authorize: (who, operation, resourceType, resourceName) =>
      trusted(who) || authorizer.authorize(who, operation, resourceType, resourceName),
    authorizeByResourceType: (who, operation, resourceType) =>
      trusted(who) || authorizer.authorizeByResourceType(who, operation, resourceType),
    invalidate: () => authorizer.invalidate(),
  };
}
