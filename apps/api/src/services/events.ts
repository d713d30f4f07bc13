/**
 * The event stream's source: Postgres LISTEN on the "flotilla_events" channel, which triggers on the
 * Cluster, ClusterOperation and OperationStep tables notify (prisma/migrations/*_event_notifications).
 * Triggers, not publishing code, so every writer is covered (the API, each worker job, a row changed by
 * hand) and an event is only announced once its transaction commits. One connection per API process
 * serves every subscriber; it is opened with the first one, reconnects after a failure, and closes
 * with the server.
 */
import pg from 'pg';

export interface FlotillaEvent {
  /** cluster, operation, operation-step (the triggers); others (the monitor's alarms) publish on the same channel. */
  readonly type: string;
  readonly clusterArn: string;
  readonly [member: string]: unknown;
}

export type EventListener = (event: FlotillaEvent) => void;

export const EVENTS_CHANNEL = 'flotilla_events';

export class EventHub {
  private readonly listeners = new Set<EventListener>();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {}

  /** Adds a listener; resolves once the hub is listening (so no event after this call is missed). */
  async subscribe(listener: EventListener): Promise<() => void> {
    this.listeners.add(listener);
    try {
      await this.ensureListening();
    } catch (error) {
      this.listeners.delete(listener);
      throw error;
    }
    return () => {
      this.listeners.delete(listener);
    };
  }

  private ensureListening(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.databaseUrl });
      client.on('notification', (message) => {
        if (message.channel !== EVENTS_CHANNEL || !message.payload) return;
        let event: FlotillaEvent;
        try {
          event = JSON.parse(message.payload) as FlotillaEvent;
        } catch {
          return;
        }
        for (const listener of this.listeners) listener(event);
      });
      client.on('error', (error) => {
        this.onError(error);
        this.client = undefined;
        void client.end().catch(() => undefined);
        // Listen again while anyone is subscribed; events during the gap are lost (SSE has no replay).
        if (!this.closed && this.listeners.size) {
          this.retry = setTimeout(() => void this.ensureListening().catch((e: Error) => this.onError(e)), 1_000);
        }
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.listeners.clear();
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
