/**
 * Who is asking on the controller listener. Its peers are the cluster's own nodes (Raft, broker
 * registrations and heartbeats, internal topic creation, producer id blocks). On a PLAINTEXT controller
 * listener nobody authenticates, so a bare request there runs as the cluster's principal, which the
 * controller's authorizer lets do anything (Kafka would see User:ANONYMOUS and need it in super.users);
 * the listener must then be reachable only by the cluster's nodes (a private network). Once the
 * controller listener is SASL or SSL, requests run as the principal that authenticated, as in Kafka:
 * the quorum RPCs need ClusterAction on the cluster (handlers/quorum-handler.ts), so the nodes' own
 * principal must be a super user or be granted it. A client's request forwarded by a broker arrives in
 * an Envelope and runs as that client (handlers/58-envelope.ts), so ACLs still apply to it.
 */
import type { DecodedRequestHeader } from '@flotilla/protocol';
import type { RequestContext, RequestDispatcher } from '../network/connection.js';
import type { Authorizer, Requester } from '../security/authorizer.js';

export const CLUSTER_PRINCIPAL = 'User:__flotilla_cluster';

/**
 * On a PLAINTEXT controller listener, runs every request as the cluster's principal (Envelope then
 * narrows it); on an authenticating one (`securityProtocol` SSL, SASL_PLAINTEXT, SASL_SSL), as the
 * connection's own principal.
 */
export function controllerListenerDispatcher(
  inner: RequestDispatcher,
  securityProtocol = 'PLAINTEXT',
): RequestDispatcher {
  const authenticates = securityProtocol !== 'PLAINTEXT';
  return {
    handle: (ctx: RequestContext, body: unknown) =>
      authenticates
        ? inner.handle(ctx, body)
        : inner.handle({ ...ctx, connection: { ...ctx.connection, principal: CLUSTER_PRINCIPAL } }, body),
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
