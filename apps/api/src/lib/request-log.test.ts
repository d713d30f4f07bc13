import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { RequestLog } from './request-log.js';

async function logged(level: string, calls: { method: 'GET' | 'POST'; url: string }[]) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const fastify = Fastify({ logController: new RequestLog(), logger: { level, stream } });
  fastify.get('/clusters', async () => ({ ok: true }));
  fastify.post('/clusters', async () => ({ ok: true }));
  fastify.get('/broken', async () => {
    throw new Error('boom');
  });
  for (const call of calls) await fastify.inject(call);
  await fastify.close();
  return lines;
}

describe('request logging (RequestLog)', () => {
  it('at info: no line for a read, one "request completed" for a change, a failure as an error', async () => {
    const lines = await logged('info', [
      { method: 'GET', url: '/clusters' },
      { method: 'POST', url: '/clusters' },
      { method: 'GET', url: '/broken' },
    ]);
    expect(lines.map((l) => [l.level, l.msg, (l.req as { method?: string } | undefined)?.method])).toEqual([
      [30, 'request completed', 'POST'],
      [50, 'boom', 'GET'],
    ]);
    expect(lines[0]?.res).toEqual({ statusCode: 200 });
  });

  it('at debug: reads are logged too, incoming and completed', async () => {
    const lines = await logged('debug', [{ method: 'GET', url: '/clusters' }]);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [20, 'incoming request'],
      [20, 'request completed'],
    ]);
  });
});
