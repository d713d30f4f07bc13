/**
 * Which requests Fastify logs. Its default writes two info lines per request ("incoming request",
 * "request completed"); under a poll-heavy load (clients describing a cluster until its state changes)
 * that is a log write per line, costing more than the call itself (issue 6). Here reads (GET, HEAD) log
 * at debug only (FLOTILLA_LOG_LEVEL=debug); a call that changes something logs one "request completed"
 * line at info, the record of who changed what; failures log as Fastify does.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LogController } from 'fastify';

const isRead = (request: FastifyRequest) => request.method === 'GET' || request.method === 'HEAD';

export class RequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
      return;
    }
    // pino's method for a level that is off is a no-op: a read at info costs this call only.
    reply.log[isRead(request) ? 'debug' : 'info'](
      { req: request, res: reply, responseTime: reply.elapsedTime, accessKeyId: request.accessKeyId },
      'request completed',
    );
  }
}
