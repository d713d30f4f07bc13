/**
 * The coordinator's timers (Kafka's rebalance and heartbeat purgatories, reduced to what a single
 * event loop needs): at most one timer per (group, key), replaced when scheduled again, all of a
 * group's cancelled when it is unloaded or deleted, and every one cancelled by close(), so none
 * outlives the coordinator. Timers are unref'd: they never keep the process alive on their own.
 */
import type { Logger } from '../logger.js';

/** setTimeout's largest delay; longer ones would fire at once. */
const MAX_DELAY_MS = 0x7fffffff;

export class GroupTimers {
  private readonly byGroup = new Map<string, Map<string, NodeJS.Timeout>>();
  private closed = false;

  constructor(private readonly log: Logger) {}

  /** Runs `run` after `delayMs`, replacing the timer already set for this group and key. */
  schedule(groupId: string, key: string, delayMs: number, run: () => void): void {
    if (this.closed) return;
    this.cancel(groupId, key);
    let timers = this.byGroup.get(groupId);
    if (!timers) {
      timers = new Map();
      this.byGroup.set(groupId, timers);
    }
    const timer = setTimeout(
      () => {
        this.remove(groupId, key, timer);
        try {
          run();
        } catch (e) {
          this.log.error(`timer ${key} of group ${groupId} failed: ${(e as Error).stack ?? e}`);
        }
      },
      Math.min(Math.max(delayMs, 0), MAX_DELAY_MS),
    );
    timer.unref();
    timers.set(key, timer);
  }

  has(groupId: string, key: string): boolean {
    return this.byGroup.get(groupId)?.has(key) ?? false;
  }

  cancel(groupId: string, key: string): void {
    const timer = this.byGroup.get(groupId)?.get(key);
    if (timer) {
      clearTimeout(timer);
      this.remove(groupId, key, timer);
    }
  }

  cancelGroup(groupId: string): void {
    const timers = this.byGroup.get(groupId);
    if (!timers) return;
    for (const t of timers.values()) clearTimeout(t);
    this.byGroup.delete(groupId);
  }

  /** Timers pending, over all groups (tests check that none leak). */
  get size(): number {
    let n = 0;
    for (const t of this.byGroup.values()) n += t.size;
    return n;
  }

  close(): void {
    this.closed = true;
    for (const groupId of [...this.byGroup.keys()]) this.cancelGroup(groupId);
  }

  private remove(groupId: string, key: string, timer: NodeJS.Timeout): void {
    const timers = this.byGroup.get(groupId);
    if (timers?.get(key) !== timer) return;
    timers.delete(key);
    if (timers.size === 0) this.byGroup.delete(groupId);
  }
}
