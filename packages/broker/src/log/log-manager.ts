/**
 * All partition logs of this broker across its log directories: finding them at start, creating and
 * deleting them, the checkpoint files Kafka keeps beside them (recovery point, log start offset, high
 * watermark, cleaner offsets), the clean-shutdown marker, and the timers for retention, flush and the
 * log cleaner (compaction, cleaner.ts).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, KafkaError } from '@flotilla/protocol';
import type { Logger } from '../logger.js';
import { type CleanedLog, type CleanerCandidate, type CleanerOptions, LogCleaner } from './cleaner.js';
import { type LogConfig, PartitionLog, readPartitionMetadata, writePartitionMetadata } from './partition-log.js';

const CLEAN_SHUTDOWN = '.kafka_cleanshutdown';
const RECOVERY_POINTS = 'recovery-point-offset-checkpoint';
const LOG_START_OFFSETS = 'log-start-offset-checkpoint';
const HIGH_WATERMARKS = 'replication-offset-checkpoint';
/** Where each compacted partition's dirty section starts (Kafka's LogCleanerManager checkpoint). */
const CLEANER_OFFSETS = 'cleaner-offset-checkpoint';

export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Kafka's OffsetCheckpointFile: "0", the entry count, then "topic partition offset" lines. */
export function readCheckpoint(file: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(file)) return out;
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const line of lines.slice(2)) {
    const parts = line.trim().split(' ');
    if (parts.length !== 3) continue;
    const offset = Number(parts[2]);
    if (Number.isFinite(offset)) out.set(partitionKey(parts[0] as string, Number(parts[1])), offset);
  }
  return out;
}

export function writeCheckpoint(file: string, entries: ReadonlyMap<string, number>): void {
  const lines = [...entries].map(([key, offset]) => {
    const i = key.lastIndexOf('-');
    return `${key.slice(0, i)} ${key.slice(i + 1)} ${offset}`;
  });
  writeFileSync(`${file}.tmp`, `0\n${lines.length}\n${lines.join('\n')}${lines.length ? '\n' : ''}`);
  renameSync(`${file}.tmp`, file);
}

export interface HostedLog {
  readonly topic: string;
  readonly partition: number;
  readonly topicId: string | null;
  readonly logDir: string;
  readonly log: PartitionLog;
}

export class LogManager {
  private readonly logs = new Map<string, HostedLog>();
  private highWatermarks = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  private cleanerTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly cleaner: LogCleaner;
  /**
   * log.dirs.max.bytes (Flotilla's, not Kafka's): the bytes this broker's partition logs may hold, its
   * volume size (issue 7, UpdateBrokerStorage); -1 for no limit. Past it, leader appends (produce,
   * offset commits) are refused with KAFKA_STORAGE_ERROR, which is what a Kafka broker's clients see
   * when its log directory fails on a full disk; nothing is written, so no segment is cut short, and
   * retention keeps deleting old segments, which makes room again.
   */
  storageLimitBytes = -1;

  constructor(
    readonly logDirs: readonly string[],
    private readonly configFor: (topic: string) => LogConfig,
    private readonly log: Logger,
    cleanerOptions: CleanerOptions = {},
  ) {
    this.cleaner = new LogCleaner(log.child('log-cleaner'), cleanerOptions);
  }

  /** Opens every partition log found in the log directories, recovering after an unclean shutdown. */
  loadLogs(): void {
    for (const dir of this.logDirs) {
      mkdirSync(dir, { recursive: true });
      const clean = existsSync(join(dir, CLEAN_SHUTDOWN));
      const recovery = readCheckpoint(join(dir, RECOVERY_POINTS));
      const starts = readCheckpoint(join(dir, LOG_START_OFFSETS));
      for (const [k, v] of readCheckpoint(join(dir, HIGH_WATERMARKS))) this.highWatermarks.set(k, v);
      for (const [k, v] of readCheckpoint(join(dir, CLEANER_OFFSETS))) this.cleaner.restoreCheckpoint(k, v);
      for (const entry of readdirSync(dir)) {
        const m = /^(.+)-(\d+)$/.exec(entry);
        const path = join(dir, entry);
        if (!m || !statSync(path).isDirectory()) continue;
        if (/-delete$/.test(entry) || /\.\d+-delete$/.test(entry)) {
          rmSync(path, { recursive: true, force: true });
          continue;
        }
        const topic = m[1] as string;
        const partition = Number(m[2]);
        const key = partitionKey(topic, partition);
        const started = performance.now();
        const log = PartitionLog.open(path, this.configFor(topic), {
          logStartOffset: starts.get(key),
          recoveryPoint: clean ? Number.POSITIVE_INFINITY : (recovery.get(key) ?? 0),
        });
        log.beforeLeaderAppend = this.checkStorage;
        this.logs.set(key, { topic, partition, topicId: readPartitionMetadata(path), logDir: dir, log });
        this.log.debug(
          `loaded ${key}: offsets ${log.logStartOffset}..${log.logEndOffset}, ${log.segmentCount} segment(s) in ${(performance.now() - started).toFixed(1)} ms`,
        );
      }
      if (clean) rmSync(join(dir, CLEAN_SHUTDOWN), { force: true });
    }
  }

  /** The high watermark checkpointed for a partition at the last shutdown or checkpoint. */
  checkpointedHighWatermark(topic: string, partition: number): number | undefined {
    return this.highWatermarks.get(partitionKey(topic, partition));
  }

  get(topic: string, partition: number): HostedLog | undefined {
    return this.logs.get(partitionKey(topic, partition));
  }

  all(): IterableIterator<HostedLog> {
    return this.logs.values();
  }

  getOrCreate(topic: string, partition: number, topicId: string): HostedLog {
    const key = partitionKey(topic, partition);
    const existing = this.logs.get(key);
    if (existing) {
      if (existing.topicId === null || existing.topicId === topicId) return existing;
      // A directory left by an earlier topic of the same name: it is not ours.
      this.log.warn(`removing stray log ${key} of topic id ${existing.topicId} (current topic id ${topicId})`);
      this.delete(topic, partition);
    }
    const logDir = this.leastLoadedDir();
    const path = join(logDir, key);
    writePartitionMetadata(path, topicId);
    const log = PartitionLog.open(path, this.configFor(topic));
    log.beforeLeaderAppend = this.checkStorage;
    const hosted = { topic, partition, topicId, logDir, log };
    this.logs.set(key, hosted);
    return hosted;
  }

  /** Bytes held by every partition log of this broker (segment files, indexes excluded). */
  usedBytes(): number {
    let total = 0;
    for (const l of this.logs.values()) total += l.log.size;
    return total;
  }

  private readonly checkStorage = (bytes: number): void => {
    if (this.storageLimitBytes < 0) return;
    const used = this.usedBytes();
    if (used + bytes > this.storageLimitBytes) {
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `the broker's storage is full: ${used} of ${this.storageLimitBytes} bytes (log.dirs.max.bytes) used`,
      );
    }
  };

  private leastLoadedDir(): string {
    const counts = new Map(this.logDirs.map((d) => [d, 0]));
    for (const l of this.logs.values()) counts.set(l.logDir, (counts.get(l.logDir) ?? 0) + 1);
    return [...counts].sort((a, b) => a[1] - b[1])[0]?.[0] as string;
  }

  delete(topic: string, partition: number): void {
    const key = partitionKey(topic, partition);
    const hosted = this.logs.get(key);
    if (!hosted) return;
    this.logs.delete(key);
    this.highWatermarks.delete(key);
    this.cleaner.forget(key);
    hosted.log.close();
    PartitionLog.deleteDir(hosted.log.dir);
  }

  /** Re-reads each log's config (after a topic or broker config change). */
  reconfigure(topic?: string): void {
    for (const h of this.logs.values())
      if (topic === undefined || h.topic === topic) h.log.config = this.configFor(h.topic);
  }

  /**
   * Starts the background work: retention every `retentionCheckMs`, flush.ms checks every second,
   * checkpoints every minute, and the log cleaner (log.cleaner.enable, log.cleaner.backoff.ms): one
   * compacted log per turn, the next turn at once after a cleaning, else after the backoff.
   * `highWatermark` supplies each partition's HW for the checkpoint and as the cleaner's bound.
   */
  startBackgroundTasks(
    retentionCheckMs: number,
    highWatermark: (topic: string, partition: number) => number | undefined,
    cleaner: { readonly enabled: boolean; readonly backoffMs: number } = { enabled: true, backoffMs: 15_000 },
  ): void {
    this.hwSource = highWatermark;
    const every = (ms: number, task: () => void) => {
      const t = setInterval(() => {
        try {
          task();
        } catch (e) {
          this.log.error(`background task failed: ${(e as Error).stack ?? e}`);
        }
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(Math.min(retentionCheckMs, 2 ** 31 - 1), () => this.enforceRetention());
    every(1000, () => {
      for (const h of this.logs.values()) h.log.flushIfDue();
    });
    every(60_000, () => this.checkpoint());
    if (cleaner.enabled) {
      const backoffMs = Math.min(cleaner.backoffMs, 2 ** 31 - 1);
      const turn = () => {
        let cleaned = false;
        try {
          cleaned = this.cleanFilthiestLog() !== null;
        } catch (e) {
          this.log.error(`log cleaner failed: ${(e as Error).stack ?? e}`);
        }
        if (this.closed) return;
        this.cleanerTimer = setTimeout(turn, cleaned ? 0 : backoffMs);
        this.cleanerTimer.unref();
      };
      this.cleanerTimer = setTimeout(turn, backoffMs);
      this.cleanerTimer.unref();
    }
  }

  private cleanerCandidates(exclude: ReadonlySet<string>): CleanerCandidate[] {
    const candidates: CleanerCandidate[] = [];
    for (const [key, h] of this.logs) {
      if (!h.log.config.compact || exclude.has(key)) continue;
      const highWatermark = this.hwSource(h.topic, h.partition) ?? this.highWatermarks.get(key);
      candidates.push({ key, log: h.log, highWatermark });
    }
    return candidates;
  }

  /** One turn of the log cleaner: cleans the compacted log most in need, if any, and checkpoints it. */
  cleanFilthiestLog(now = Date.now(), exclude: ReadonlySet<string> = new Set()): CleanedLog | null {
    const cleaned = this.cleaner.cleanFilthiest(this.cleanerCandidates(exclude), now);
    const hosted = cleaned && this.logs.get(cleaned.key);
    if (hosted) this.writeCleanerCheckpoint(hosted.logDir);
    return cleaned;
  }

  /** Cleans every compacted log that is due, each once (tests, and operators wanting compaction now). */
  cleanLogs(now = Date.now()): CleanedLog[] {
    const done: CleanedLog[] = [];
    const seen = new Set<string>();
    for (;;) {
      const cleaned = this.cleanFilthiestLog(now, seen);
      if (!cleaned) return done;
      done.push(cleaned);
      seen.add(cleaned.key);
    }
  }

  private writeCleanerCheckpoint(dir: string): void {
    const offsets = new Map<string, number>();
    for (const [key, h] of this.logs) {
      const offset = h.logDir === dir ? this.cleaner.checkpoint(key) : undefined;
      if (offset !== undefined) offsets.set(key, offset);
    }
    writeCheckpoint(join(dir, CLEANER_OFFSETS), offsets);
  }

  private hwSource: (topic: string, partition: number) => number | undefined = () => undefined;

  enforceRetention(now = Date.now()): number {
    let deleted = 0;
    for (const h of this.logs.values()) {
      const n = h.log.enforceRetention(now);
      if (n > 0)
        this.log.info(
          `retention deleted ${n} segment(s) of ${partitionKey(h.topic, h.partition)}; log start offset now ${h.log.logStartOffset}`,
        );
      deleted += n;
    }
    return deleted;
  }

  /** Writes the checkpoint files of every log directory. */
  checkpoint(cleanShutdown = false): void {
    for (const dir of this.logDirs) {
      const recovery = new Map<string, number>();
      const starts = new Map<string, number>();
      const hws = new Map<string, number>();
      for (const [key, h] of this.logs) {
        if (h.logDir !== dir) continue;
        if (cleanShutdown) recovery.set(key, h.log.logEndOffset);
        starts.set(key, h.log.logStartOffset);
        const hw = this.hwSource(h.topic, h.partition) ?? this.highWatermarks.get(key);
        if (hw !== undefined) hws.set(key, hw);
      }
      if (cleanShutdown) writeCheckpoint(join(dir, RECOVERY_POINTS), recovery);
      writeCheckpoint(join(dir, LOG_START_OFFSETS), starts);
      writeCheckpoint(join(dir, HIGH_WATERMARKS), hws);
      this.writeCleanerCheckpoint(dir);
    }
  }

  /** Flushes and closes every log, writes checkpoints and the clean-shutdown marker. Safe twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.cleanerTimer);
    for (const h of this.logs.values()) h.log.flush();
    this.checkpoint(true);
    for (const h of this.logs.values()) h.log.close();
    for (const dir of this.logDirs) writeFileSync(join(dir, CLEAN_SHUTDOWN), '');
  }
}
