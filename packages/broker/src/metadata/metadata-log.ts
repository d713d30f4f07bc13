/**
 * The metadata log of a single broker: `__cluster_metadata-0` in the first log directory, as in KRaft.
 * Each controller write is one record batch (JSON records, uncompressed), flushed before it counts as
 * committed; then its records are applied to the image and published to listeners in order. At start
 * the whole log is replayed. A controller quorum (issue 4) replaces this class with one that commits
 * through Raft; the image, the controller and every listener stay as they are.
 */
import { join } from 'node:path';
import { decodeBatches, decodeRecords, encodeBatch } from '@flotilla/protocol';
import { type LogConfig, PartitionLog, validateBatches } from '../log/partition-log.js';
import type { Logger } from '../logger.js';
import type { MetadataLog } from './controller.js';
import type { ImageChange, MetadataImage } from './image.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from './records.js';

export const METADATA_TOPIC = '__cluster_metadata';

const METADATA_LOG_CONFIG: LogConfig = {
  segmentBytes: 100 * 1024 * 1024,
  segmentMs: Number.POSITIVE_INFINITY,
  retentionMs: -1,
  retentionBytes: -1,
  maxMessageBytes: 8 * 1024 * 1024,
  indexIntervalBytes: 4096,
  flushMessages: 1,
  flushMs: Number.POSITIVE_INFINITY,
  compact: false,
  delete: false,
  logAppendTime: false,
  timestampBeforeMaxMs: Number.POSITIVE_INFINITY,
  timestampAfterMaxMs: Number.POSITIVE_INFINITY,
};

export class LocalMetadataLog implements MetadataLog {
  private readonly log: PartitionLog;
  private readonly listeners: ((change: ImageChange) => void)[] = [];
  private closed = false;

  private constructor(
    dir: string,
    private readonly image: MetadataImage,
    private readonly logger: Logger,
  ) {
    this.log = PartitionLog.open(join(dir, `${METADATA_TOPIC}-0`), METADATA_LOG_CONFIG);
  }

  /** Opens the log and replays it into `image`. */
  static open(dir: string, image: MetadataImage, logger: Logger): LocalMetadataLog {
    const m = new LocalMetadataLog(dir, image, logger);
    let count = 0;
    for (let offset = m.log.logStartOffset; offset < m.log.logEndOffset; ) {
      const { records } = m.log.read(offset, 1 << 20, m.log.logEndOffset, true);
      if (records.length === 0) break;
      for (const batch of decodeBatches(records).batches) {
        if (batch.magic !== 2) continue;
        for (const record of decodeRecords(batch)) {
          if (record.value === null) continue;
          image.apply(decodeMetadataRecord(record.value), Number(batch.header.baseOffset) + record.offsetDelta);
          count++;
        }
        offset = Number(batch.header.baseOffset) + batch.header.lastOffsetDelta + 1;
      }
    }
    logger.info(`replayed ${count} metadata record(s) up to offset ${m.log.logEndOffset}`);
    return m;
  }

  /** Listens to changes applied after start (replay at open is not published). */
  subscribe(listener: (change: ImageChange) => void): void {
    this.listeners.push(listener);
  }

  async append(records: readonly MetadataRecord[]): Promise<void> {
    if (this.closed) throw new Error('metadata log is closed');
    if (records.length === 0) return;
    const now = Date.now();
    const batch = encodeBatch({
      baseOffset: 0n,
      baseTimestamp: BigInt(now),
      records: records.map((r, i) => ({
        attributes: 0,
        offsetDelta: i,
        timestampDelta: 0,
        key: null,
        value: encodeMetadataRecord(r),
        headers: [],
      })),
    });
    const infos = validateBatches(batch, METADATA_LOG_CONFIG.maxMessageBytes);
    const appended = this.log.appendAsLeader(batch, infos, 0, now); // flush.messages=1: on disk before we go on
    records.forEach((record, i) => {
      const change = this.image.apply(record, appended.firstOffset + i);
      if (change) for (const l of this.listeners) l(change);
    });
  }

  get endOffset(): number {
    return this.log.logEndOffset;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.log.close();
    this.logger.debug('metadata log closed');
  }
}
