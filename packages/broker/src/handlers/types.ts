/**
 * What a request handler is: the API key it serves, the versions it supports (a subset of the spec's,
 * where older versions need message formats or behaviour we do not implement), and a function from a
 * typed request to a typed response (null: no response, for acks=0 produce).
 */
import type { ApiKey, RequestTypes, ResponseTypes } from '@flotilla/protocol';
import type { RequestContext } from '../network/connection.js';
import type { BrokerServices } from '../services.js';

export interface HandlerContext extends RequestContext {
  readonly broker: BrokerServices;
  readonly apiVersion: number;
}

export interface Handler<K extends ApiKey = ApiKey> {
  readonly apiKey: K;
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(ctx: HandlerContext, request: RequestTypes[K]): Promise<ResponseTypes[K] | null> | ResponseTypes[K] | null;
}

export function defineHandler<K extends ApiKey>(handler: Handler<K>): Handler<K> {
  return handler;
}
