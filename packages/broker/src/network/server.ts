/**
 * The broker's listeners: one TCP server per configured listener, each connection handed to a
 * Connection. close() stops accepting, closes every connection, and is safe to call twice.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Listener } from '../config/broker-config.js';
import type { Logger } from '../logger.js';
import { Connection, type RequestDispatcher } from './connection.js';

export interface ServerOptions {
  readonly maxRequestBytes: number;
  readonly maxQueuedRequests: number;
  readonly idleMs: number;
}

export interface BoundListener extends Listener {
  /** The port actually bound (differs from the configured one for port 0). */
  readonly boundPort: number;
}

export class SocketServer {
  private readonly servers: { listener: Listener; server: Server }[] = [];
  private readonly connections = new Set<Connection>();
  private nextId = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly dispatcherFor: (listener: Listener) => RequestDispatcher,
    private readonly options: ServerOptions,
    private readonly log: Logger,
  ) {}

  async listen(listeners: readonly Listener[]): Promise<BoundListener[]> {
    const bound: BoundListener[] = [];
    for (const listener of listeners) {
      const dispatcher = this.dispatcherFor(listener);
      const server = createServer((socket) => this.accept(socket, listener, dispatcher));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: listener.host || '0.0.0.0', port: listener.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address();
      const boundPort = typeof address === 'object' && address ? address.port : listener.port;
      this.servers.push({ listener, server });
      bound.push({ ...listener, boundPort });
    }
    return bound;
  }

  private accept(socket: Socket, listener: Listener, dispatcher: RequestDispatcher): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const id = `${listener.name}-${this.nextId++}`;
    const connection = new Connection(
      socket,
      {
        id,
        listenerName: listener.name,
        remoteAddress: socket.remoteAddress ?? '',
        remotePort: socket.remotePort ?? 0,
        principal: 'User:ANONYMOUS',
      },
      dispatcher,
      this.options,
      this.log,
      (c) => this.connections.delete(c),
    );
    this.connections.add(connection);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = this.servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve())));
      for (const c of this.connections) c.close();
      await Promise.all(closed);
    })();
    return this.closing;
  }
}
