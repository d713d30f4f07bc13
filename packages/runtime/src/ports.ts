/**
 * Free TCP ports on 127.0.0.1, for the ports a driver publishes. All are held open together while
 * picking, so one call never returns the same port twice; another process can still take one before
 * the broker binds it, which the broker's start then reports (PORT_UNAVAILABLE at start).
 *
 * They come from below the kernel's ephemeral range (net.ipv4.ip_local_port_range), never from it:
 * while a broker is down (SIGKILLed, being replaced) its clients and the other brokers keep connecting
 * to its port, and every such connect takes a source port from the ephemeral range. One of them can be
 * the broker's own port (a loopback connect to itself, TCP simultaneous open), and the restarted broker
 * then fails with EADDRINUSE — seen in CI as a day-2 heal that failed. `FLOTILLA_PORT_RANGE=lo-hi`
 * overrides the range.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** Where ports are picked when the ephemeral range cannot be read (Linux's default starts at 32768). */
const DEFAULT_RANGE: readonly [number, number] = [20000, 32767];

/** The range ports are picked from: FLOTILLA_PORT_RANGE, else up to the start of the ephemeral range. */
export function publishedPortRange(env: NodeJS.ProcessEnv = process.env): [number, number] {
  const wanted = /^(\d+)-(\d+)$/.exec(env.FLOTILLA_PORT_RANGE ?? '');
  if (wanted) return [Number(wanted[1]), Number(wanted[2])];
  try {
    const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (ephemeralLow !== undefined && ephemeralLow > 11_024) return [10_000, Math.min(ephemeralLow - 1, 32_767)];
  } catch {
    // not Linux: keep the default
  }
  return [DEFAULT_RANGE[0], DEFAULT_RANGE[1]];
}

function listen(port: number): Promise<Server | null> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(null));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}

export async function freeLoopbackPorts(count: number, range = publishedPortRange()): Promise<number[]> {
  const [low, high] = range;
  const size = high - low + 1;
  const servers: Server[] = [];
  const ports: number[] = [];
  try {
    // A random start, so control planes picking at the same time seldom try the same ports.
    const start = Math.floor(Math.random() * size);
    for (let i = 0; i < size && ports.length < count; i++) {
      const port = low + ((start + i) % size);
      const server = await listen(port);
      if (!server) continue;
      servers.push(server);
      ports.push(port);
    }
    if (ports.length < count) throw new Error(`only ${ports.length} of ${count} free ports in ${low}-${high}`);
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
