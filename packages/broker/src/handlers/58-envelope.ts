/**
 * Envelope (key 58), v0, controller listener only (KIP-590): a broker forwards a client's admin request
 * to the active controller wrapped with the client's principal and address, so the controller
 * authorizes the request as the client, not as the forwarding broker. The inner request is dispatched
 * to this listener's own handler table and its response returned in responseData.
 *
 * Differs from Kafka: the principal travels as its text form (`User:alice`) rather than through a
 * KafkaPrincipalSerde, and the sender is not checked for CLUSTER_ACTION: the controller listener is
 * meant to be reachable only by the cluster's own nodes (a private network), as the inter-broker
 * listener is.
 */
import {
  ApiKey,
  decodeRequestFrame,
  defaultEnvelopeResponse,
  type EnvelopeRequest,
  type EnvelopeResponse,
  ErrorCode,
  encodeResponseFrame,
  isApiKey,
} from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { clusterDenial } from '../security/request-authorization.js';
import { defineHandler, type Handler, type HandlerContext } from './types.js';

/** The client address from Envelope's clientHostAddress (4 or 16 raw bytes, as Java's InetAddress). */
function hostAddress(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
    return groups.join(':');
  }
  return bytes.toString('utf8');
}

export function envelopeHandler(handlers: () => readonly Handler[]) {
  return defineHandler({
    apiKey: ApiKey.Envelope,
    minVersion: 0,
    maxVersion: 0,
    async handle(ctx: HandlerContext, request: EnvelopeRequest): Promise<EnvelopeResponse> {
      const fail = (errorCode: number) => ({ ...defaultEnvelopeResponse(), errorCode });
      // The forwarding broker vouches for the principal inside: it needs ClusterAction (KIP-590).
      const denied = clusterDenial(ctx, AclOperation.CLUSTER_ACTION);
      if (denied) return fail(denied);
      let inner: ReturnType<typeof decodeRequestFrame>;
      try {
        inner = decodeRequestFrame(request.requestData);
      } catch {
        return fail(ErrorCode.INVALID_REQUEST);
      }
      const { header, body } = inner;
      const handler = handlers().find((h) => h.apiKey === header.apiKey);
      if (!handler || !isApiKey(header.apiKey) || header.apiKey === ApiKey.Envelope) {
        return fail(ErrorCode.INVALID_REQUEST);
      }
      if (header.apiVersion < handler.minVersion || header.apiVersion > handler.maxVersion) {
        return fail(ErrorCode.UNSUPPORTED_VERSION);
      }
      const principal = request.requestPrincipal?.toString('utf8') || ctx.connection.principal;
      const response = await handler.handle(
        {
          ...ctx,
          header,
          apiVersion: header.apiVersion,
          connection: { ...ctx.connection, principal, remoteAddress: hostAddress(request.clientHostAddress) },
        },
        body as never,
      );
      if (response === null) return fail(ErrorCode.INVALID_REQUEST);
      const frame = encodeResponseFrame(header.apiKey, header.apiVersion, header.correlationId, response as never);
      return { ...defaultEnvelopeResponse(), responseData: frame.subarray(4) };
    },
  });
}
