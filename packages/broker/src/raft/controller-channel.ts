/**
 * The way to the active controller from any node of a quorum cluster: the quorum leader's controller
 * listener (from controller.quorum.voters), one connection reused, reopened when the leader changes or
 * the connection fails. Requests that meet NOT_CONTROLLER or a dead connection are retried against the
 * new leader until their deadline, as Kafka's NodeToControllerChannelManager does: a connection found
 * closed (the controller restarted since) is reopened at once, and a request that failed with the
 * leader it went to waits for the next leader change (briefly) rather than a fixed pause, so a
 * controller handover costs an election, not a retry interval. It authenticates (TLS/SASL) when the
 * controller listener requires it.
 */
import {
  type ApiKey,
  Connection,
  type ConnectionOptions,
  ErrorCode,
  KafkaError,
  type RequestTypes,
  type ResponseOf,
} from '@flotilla/protocol';
import type { Logger } from '../logger.js';
import type { MetadataQuorum } from './quorum.js';

export class ControllerChannel {
  private current: { leaderId: number; connection: Promise<Connection> } | null = null;
  private closed = false;

  constructor(
    private readonly quorum: MetadataQuorum,
    private readonly requestTimeoutMs: number,
    private readonly log: Logger,
    /** TLS/SASL for the controller listener (security/inter-broker.ts controllerClientOptions). */
    private readonly clientOptions: () => Pick<ConnectionOptions, 'tls' | 'sasl'> = () => ({}),
  ) {}

  private connection(leaderId: number): Promise<Connection> {
    if (this.current && this.current.leaderId === leaderId) return this.current.connection;
    if (this.current) void this.current.connection.then((c) => c.close()).catch(() => {});
    const voter = this.quorum.voters.find((v) => v.id === leaderId);
    if (!voter) return Promise.reject(new Error(`controller ${leaderId} is not a voter`));
    const connection = Connection.open({
      ...this.clientOptions(),
      host: voter.host,
      port: voter.port,
      clientId: `controller-channel-${this.quorum.nodeId}`,
      connectTimeoutMs: this.requestTimeoutMs,
      requestTimeoutMs: this.requestTimeoutMs,
    });
    this.current = { leaderId, connection };
    return connection;
  }

  private drop(): void {
    if (this.current) void this.current.connection.then((c) => c.close()).catch(() => {});
    this.current = null;
  }

  /**
   * Sends `body` to the active controller and returns its response. `isNotController` reads the
   * response's error so that NOT_CONTROLLER answers are retried like connection failures.
   */
  async request<K extends ApiKey>(
    apiKey: K,
    body: RequestTypes[K],
    options: { version?: number; timeoutMs?: number; isNotController?: (response: ResponseOf<K>) => boolean } = {},
  ): Promise<ResponseOf<K>> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    let lastError: unknown = null;
    while (!this.closed && Date.now() < deadline) {
      const leaderId = this.quorum.leaderId;
      if (leaderId < 0) {
        await this.quorum.leaderChange(Math.min(100, deadline - Date.now()));
        continue;
      }
      try {
        let connection = await this.connection(leaderId);
        if (connection.closed) {
          this.drop();
          connection = await this.connection(leaderId);
        }
        const response = await connection.request(apiKey, body, {
          version: options.version,
          // Short enough that a request to a leader that died is retried at the next one promptly.
          timeoutMs: Math.max(1, Math.min(this.requestTimeoutMs * 2, deadline - Date.now())),
        });
        if (options.isNotController?.(response)) {
          lastError = new KafkaError(ErrorCode.NOT_CONTROLLER, `node ${leaderId} is not the active controller`);
          // A leader not active yet (its first commit pending) or resigning: retry soon, or at the next leader.
          if (this.quorum.leaderId === leaderId) await this.quorum.leaderChange(50);
          continue;
        }
        return response;
      } catch (e) {
        lastError = e;
        this.log.debug(`request ${apiKey} to controller ${leaderId} failed: ${(e as Error).message}`);
        this.drop();
        if (this.quorum.leaderId === leaderId) await this.quorum.leaderChange(100);
      }
    }
    throw lastError instanceof Error
      ? lastError
      : new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'no active controller answered in time');
  }

  close(): void {
    this.closed = true;
    this.drop();
  }
}
