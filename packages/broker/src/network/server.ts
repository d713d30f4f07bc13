/**
 * The broker's listeners: one TCP (or, for SSL and SASL_SSL, TLS) server per configured listener, each
 * connection handed to a Connection. A TLS listener hands over a connection once its handshake is done,
 * with the principal of the client certificate (ssl.client.auth); a SASL listener gives each connection
 * its own SaslSession. A TLS handshake that fails (garbage, no or an untrusted certificate when one is
 * required) closes that socket and nothing else. close() stops accepting, closes every connection, and
 * is safe to call twice.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Listener } from '../config/broker-config.js';
import type { Logger } from '../logger.js';
import { certificatePrincipal, type ListenerSecurity } from '../security/listener-security.js';
import { SaslSession } from '../security/sasl-session.js';
import { Connection, type RequestDispatcher } from './connection.js';
import type { ResponseBufferPool } from './response-buffers.js';

const PLAINTEXT: ListenerSecurity = { protocol: 'PLAINTEXT', tls: null, sasl: null };

export interface ServerOptions {
  readonly maxRequestBytes: number;
  readonly maxQueuedRequests: number;
  readonly idleMs: number;
  /** Largest request accepted before a SASL client has authenticated (sasl.server.max.receive.size). */
  readonly maxUnauthenticatedRequestBytes?: number;
  /** Buffers of Fetch record sets, given back by each connection once it has sent them. */
  readonly responseBuffers?: ResponseBufferPool;
  /**
   * Per-IP connection creation rate (quota/connection-quotas.ts): 0 accepts a new connection on the
   * listener, more closes it after that many ms without reading from it.
   */
  readonly connectionThrottleMs?: (listener: Listener, remoteAddress: string) => number;
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
    private readonly securityFor: (listener: Listener) => ListenerSecurity = () => PLAINTEXT,
  ) {}

  async listen(listeners: readonly Listener[]): Promise<BoundListener[]> {
    const bound: BoundListener[] = [];
    for (const listener of listeners) {
      const dispatcher = this.dispatcherFor(listener);
      const security = this.securityFor(listener);
      let server: Server;
      if (security.tls) {
        server = createTlsServer(security.tls, (socket: TLSSocket) => {
          const principal = socket.authorized
            ? certificatePrincipal(socket.getPeerCertificate()?.subject as Record<string, string> | undefined)
            : 'User:ANONYMOUS';
          this.accept(socket, listener, dispatcher, security, principal);
        });
        server.on('tlsClientError', (err, socket) => {
          this.log.debug(`TLS handshake with ${socket.remoteAddress} on ${listener.name} failed: ${err.message}`);
          socket.destroy();
        });
      } else {
        server = createServer((socket) => this.accept(socket, listener, dispatcher, security, 'User:ANONYMOUS'));
      }
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

  private accept(
    socket: Socket,
    listener: Listener,
    dispatcher: RequestDispatcher,
    security: ListenerSecurity,
    principal: string,
  ): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const throttleMs = this.options.connectionThrottleMs?.(listener, socket.remoteAddress ?? '') ?? 0;
    if (throttleMs > 0) {
      this.log.debug(`closing a connection from ${socket.remoteAddress} in ${throttleMs} ms: connection_creation_rate`);
      socket.pause();
      socket.on('error', () => {});
      setTimeout(() => socket.destroy(), throttleMs).unref();
      return;
    }
    const id = `${listener.name}-${this.nextId++}`;
    const connection = new Connection(
      socket,
      {
        id,
        listenerName: listener.name,
        securityProtocol: security.protocol,
        remoteAddress: socket.remoteAddress ?? '',
        remotePort: socket.remotePort ?? 0,
        principal,
        sasl: security.sasl ? new SaslSession(security.sasl, this.log, id) : undefined,
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
