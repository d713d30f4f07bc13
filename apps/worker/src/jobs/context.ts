import type { Catalog, SecretBox } from '@flotilla/db';
import type { RuntimeDriver } from '@flotilla/runtime';

export interface JobLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What a handler gets besides its payload: its dependencies, passed in (no singletons). */
export interface JobContext {
  readonly catalog: Catalog;
  readonly driver: RuntimeDriver;
  /**
   * Opens the catalog's sealed columns (a secured cluster's control-plane password and CA key); the
   * same master key as the API's. Without it, only PLAINTEXT clusters can be worked on.
   */
  readonly box?: SecretBox;
  /** Fires when the job's time limit passes or the worker shuts down; long waits must watch it. */
  readonly signal: AbortSignal;
  readonly log: JobLogger;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** True when a failure now is final (no retry follows): the handler should clean up and record why. */
  readonly finalAttempt: boolean;
  /** Bytes/s per broker for partition reassignments (replication throttle); a default when absent. */
  readonly reassignThrottleBytes?: number;
}
