import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freeLoopbackPorts, publishedPortRange } from './ports.js';

describe('freeLoopbackPorts', () => {
  it('picks distinct ports below the ephemeral range, never one another process holds', async () => {
    const [low, high] = publishedPortRange({});
    expect(high).toBeLessThan(32_768); // Linux's ephemeral range starts at 32768 here
    const held = createServer();
    await new Promise<void>((r) => held.listen({ host: '127.0.0.1', port: low }, () => r()));
    try {
      const ports = await freeLoopbackPorts(40, [low, low + 60]);
      expect(new Set(ports).size).toBe(40);
      expect(ports).not.toContain(low);
      for (const p of ports) expect(p >= low && p <= low + 60).toBe(true);
      await expect(freeLoopbackPorts(2, [low, low])).rejects.toThrow('only 0 of 2 free ports');
    } finally {
      await new Promise<void>((r) => held.close(() => r()));
    }
  });

  it('takes FLOTILLA_PORT_RANGE when set', () => {
    expect(publishedPortRange({ FLOTILLA_PORT_RANGE: '41000-41999' })).toEqual([41000, 41999]);
  });
});
