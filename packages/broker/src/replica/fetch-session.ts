/**
 * Incremental fetch sessions (KIP-227; Kafka's FetchSession.scala): a client that fetches many
 * partitions sends the whole list once (session epoch 0), gets a session id, and from then on sends
 * only what changed (partitions added or moved on, partitions to forget) with the next epoch; the
 * broker answers with only the partitions that have something new (records, a moved high watermark,
 * log start or last stable offset, an error). The session remembers each partition's fetch position
 * and what the client was last told.
 *
 * The cache works on Fetch messages: it turns a request into the full partition list to read and
 * trims the response to what an incremental response must carry; the handler does the reading.
 *
 * - epoch -1 (FINAL): no session; a session id given is closed.
 * - epoch 0 (INITIAL): a full request; a session id given is closed and a new session is made when
 *   the cache has room (max.incremental.fetch.session.cache.slots), else the answer carries id 0.
 * - epoch > 0: the session must exist (FETCH_SESSION_ID_NOT_FOUND) and expect that epoch
 *   (INVALID_FETCH_SESSION_EPOCH); a session created with topic names cannot continue with topic
 *   ids or back (FETCH_SESSION_TOPIC_ID_ERROR, KIP-516).
 *
 * When the cache is full, a session unused for min.incremental.fetch.session.eviction.ms (120 s) is
 * evicted, least recently used first; a follower's session may also evict a consumer's (followers are
 * privileged in Kafka, and a smaller session gives way to a larger one).
 */
import {
  ErrorCode,
  type FetchRequest,
  type FetchRequestFetchPartition,
  type FetchRequestFetchTopic,
  type FetchResponseFetchableTopicResponse,
} from '@flotilla/protocol';

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;
const EVICTION_MS = 120_000;

interface CachedPartition {
  readonly topic: string;
  readonly topicId: string;
  request: FetchRequestFetchPartition;
  /** What the client was last told; -1 forces the next answer to include the partition. */
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
}

interface Session {
  readonly id: number;
  /** The epoch the next request must carry. */
  epoch: number;
  readonly usesTopicIds: boolean;
  readonly privileged: boolean;
  readonly partitions: Map<string, CachedPartition>;
  lastUsedMs: number;
}

/** What the handler reads for a request, and how to shape the answer. */
export type FetchContext =
  | { readonly errorCode: number }
  | {
      readonly errorCode: 0;
      /** The session id the response carries (0: no session). */
      readonly sessionId: number;
      /** Every partition to read: the request's, or for an incremental request the whole session. */
      readonly topics: FetchRequestFetchTopic[];
      /** Trims and records the response (incremental: only partitions with news). */
      finish(responses: FetchResponseFetchableTopicResponse[]): FetchResponseFetchableTopicResponse[];
    };

function nextEpoch(epoch: number): number {
  return epoch >= 0x7fffffff ? 1 : epoch + 1;
}

function keyOf(topic: string, topicId: string, partition: number, byId: boolean): string {
  return `${byId ? topicId : topic}\u0000${partition}`;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, Session>();

  constructor(
    private readonly maxSlots: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** The partitions of a session (tests, metrics). */
  partitionCount(sessionId: number): number {
    return this.sessions.get(sessionId)?.partitions.size ?? 0;
  }

  newContext(request: FetchRequest, apiVersion: number, isFollower: boolean): FetchContext {
    const byId = apiVersion >= 13;
    const { sessionId, sessionEpoch } = request;
    if (apiVersion < 7) return this.sessionless(request.topics);
    if (sessionEpoch === FINAL_EPOCH || sessionEpoch === INITIAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId);
      if (sessionEpoch === FINAL_EPOCH) return this.sessionless(request.topics);
      return this.full(request.topics, byId, isFollower);
    }
    const session = this.sessions.get(sessionId);
    if (!session) return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    if (session.epoch !== sessionEpoch) return { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
    if (session.usesTopicIds !== byId) return { errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };
    return this.incremental(session, request, byId);
  }

  private sessionless(topics: FetchRequestFetchTopic[]): FetchContext {
    return { errorCode: 0, sessionId: 0, topics, finish: (r) => r };
  }

  private full(topics: FetchRequestFetchTopic[], byId: boolean, isFollower: boolean): FetchContext {
    const partitions = new Map<string, CachedPartition>();
    for (const t of topics) {
      for (const p of t.partitions) {
        partitions.set(keyOf(t.topic, t.topicId, p.partition, byId), {
          topic: t.topic,
          topicId: t.topicId,
          request: p,
          highWatermark: -1n,
          lastStableOffset: -1n,
          logStartOffset: -1n,
        });
      }
    }
    const session = this.maybeCreate(partitions, byId, isFollower);
    return {
      errorCode: 0,
      sessionId: session?.id ?? 0,
      topics,
      finish: (responses) => {
        if (session) this.record(session, responses, byId, false);
        return responses;
      },
    };
  }

  private incremental(session: Session, request: FetchRequest, byId: boolean): FetchContext {
    session.lastUsedMs = this.now();
    for (const t of request.topics) {
      for (const p of t.partitions) {
        const key = keyOf(t.topic, t.topicId, p.partition, byId);
        const cached = session.partitions.get(key);
        if (cached) cached.request = p;
        else
          session.partitions.set(key, {
            topic: t.topic,
            topicId: t.topicId,
            request: p,
            highWatermark: -1n,
            lastStableOffset: -1n,
            logStartOffset: -1n,
          });
      }
    }
    for (const f of request.forgottenTopicsData) {
      for (const partition of f.partitions) session.partitions.delete(keyOf(f.topic, f.topicId, partition, byId));
    }
    session.epoch = nextEpoch(session.epoch);
    // Every partition of the session is read, grouped by topic as a full request would be.
    const byTopic = new Map<string, FetchRequestFetchTopic>();
    for (const c of session.partitions.values()) {
      const tk = byId ? c.topicId : c.topic;
      let t = byTopic.get(tk);
      if (!t) {
        t = { topic: c.topic, topicId: c.topicId, partitions: [] };
        byTopic.set(tk, t);
      }
      t.partitions.push(c.request);
    }
    return {
      errorCode: 0,
      sessionId: session.id,
      topics: [...byTopic.values()],
      finish: (responses) => this.record(session, responses, byId, true),
    };
  }

  /**
   * Remembers what each partition's answer told the client; with `trim`, keeps only the partitions
   * whose answer says something new (CachedPartition.maybeUpdateResponseData).
   */
  private record(
    session: Session,
    responses: FetchResponseFetchableTopicResponse[],
    byId: boolean,
    trim: boolean,
  ): FetchResponseFetchableTopicResponse[] {
    const out: FetchResponseFetchableTopicResponse[] = [];
    for (const t of responses) {
      const kept = t.partitions.filter((p) => {
        const cached = session.partitions.get(keyOf(t.topic, t.topicId, p.partitionIndex, byId));
        let news = (p.records?.length ?? 0) > 0 || p.errorCode !== ErrorCode.NONE || p.divergingEpoch.epoch >= 0;
        if (!cached) return true;
        if (cached.highWatermark !== p.highWatermark) news = true;
        if (cached.lastStableOffset !== p.lastStableOffset) news = true;
        if (cached.logStartOffset !== p.logStartOffset) news = true;
        cached.highWatermark = p.errorCode === ErrorCode.NONE ? p.highWatermark : -1n;
        cached.lastStableOffset = p.lastStableOffset;
        cached.logStartOffset = p.logStartOffset;
        return news || !trim;
      });
      if (kept.length > 0 || !trim) out.push({ ...t, partitions: kept });
    }
    return out;
  }

  private maybeCreate(partitions: Map<string, CachedPartition>, byId: boolean, privileged: boolean): Session | null {
    const now = this.now();
    if (this.sessions.size >= this.maxSlots() && !this.evictOne(now, partitions.size, privileged)) return null;
    let id = 0;
    while (id === 0 || this.sessions.has(id)) id = 1 + Math.floor(Math.random() * 0x7ffffffe);
    const session: Session = { id, epoch: 1, usesTopicIds: byId, privileged, partitions, lastUsedMs: now };
    this.sessions.set(id, session);
    return session;
  }

  /** Frees a slot for a new session of `size` partitions (FetchSessionCache.tryEvict). */
  private evictOne(now: number, size: number, privileged: boolean): boolean {
    let victim: Session | null = null;
    for (const s of this.sessions.values()) {
      if (now - s.lastUsedMs > EVICTION_MS && (!victim || s.lastUsedMs < victim.lastUsedMs)) victim = s;
    }
    if (!victim) {
      for (const s of this.sessions.values()) {
        const weaker = (privileged && !s.privileged) || (!s.privileged && s.partitions.size < size);
        if (weaker && (!victim || s.partitions.size < victim.partitions.size)) victim = s;
      }
    }
    if (!victim) return false;
    this.sessions.delete(victim.id);
    return true;
  }
}
