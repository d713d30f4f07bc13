/**
 * Golden requests from real clients (kcat, kafkajs, @platformatic/kafka, kafka-python, confluent-kafka), recorded by
 * scripts/capture (`npm run capture -w @flotilla/protocol`). Every frame must decode with our codecs to
 * the last byte, say what its scenario did (the topics, groups and records it sent), and re-encode to
 * exactly the bytes the client sent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { topicIdFor } from '../scripts/capture/fake-cluster.js';
import type { GoldenManifest, ScenarioInfo } from '../scripts/capture/manifest.js';
import { type DecodedRequest, decodeRequestFrame, encodeRequestFrame } from '../src/frames.js';
import { API_SPECS, ApiKey, type RequestTypes } from '../src/generated/api.js';
import { readConsumerProtocolAssignment } from '../src/generated/messages/consumer-protocol-assignment.js';
import { readConsumerProtocolSubscription } from '../src/generated/messages/consumer-protocol-subscription.js';
import { Reader } from '../src/primitives/reader.js';
import { decodeBatches, decodeRecords } from '../src/records/batch.js';

const GOLDEN_DIR = fileURLToPath(new URL('./fixtures/golden/', import.meta.url));
const CODEC_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

interface Fixture {
  readonly client: string;
  readonly file: string;
  readonly bytes: Buffer;
  readonly scenario: ScenarioInfo;
  readonly request: DecodedRequest;
}

const clients = readdirSync(GOLDEN_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function loadManifest(client: string): GoldenManifest {
  return JSON.parse(readFileSync(join(GOLDEN_DIR, client, 'manifest.json'), 'utf8')) as GoldenManifest;
}

/** Narrows a decoded request to one API key's body type. */
function bodyOf<K extends ApiKey>(f: Fixture, key: K): RequestTypes[K] | undefined {
  return f.request.header.apiKey === key ? (f.request.body as RequestTypes[K]) : undefined;
}

/** The v2 record batches of a record set: the fields a test can check without decompressing. */
function batchesOf(records: Buffer) {
  const batches: { magic: number; codec: number; transactional: boolean; count: number; producerId: bigint }[] = [];
  for (let at = 0; at < records.length; ) {
    const length = records.readInt32BE(at + 8);
    const attributes = records.readInt16BE(at + 21);
    batches.push({
      magic: records.readInt8(at + 16),
      codec: attributes & 0x7,
      transactional: (attributes & 0x10) !== 0,
      count: records.readInt32BE(at + 23) + 1,
      producerId: records.readBigInt64BE(at + 43),
    });
    at += 12 + length;
  }
  return batches;
}

/**
 * A consumer-protocol blob: int16 version, then the body; newer versions only add fields at the end,
 * so a reader reads what it knows and ignores the rest (Kafka's ConsumerProtocol does the same).
 */
function consumerProtocol<T>(bytes: Buffer, read: (r: Reader, version: number) => T, readAs?: number): T {
  const r = new Reader(bytes);
  const version = r.i16();
  const value = read(r, readAs ?? Math.min(version, 3));
  if (version <= 3) r.expectEnd(`consumer protocol v${version}`);
  return value;
}

/**
 * @platformatic/kafka 1.35 labels its subscription version 1 but leaves out OwnedPartitions, the field
 * v1 added: its bytes are a v0 subscription (`topics`, `userData`). Brokers pass the blob through to
 * the group leader unread, and the leader here is the same client, so it works against Kafka; any
 * other reader (a Java leader in the same group) would fail on it.
 */
function subscriptionReadAs(client: string): number | undefined {
  return client === 'platformatic-kafka' ? 0 : undefined;
}

function checkTopics(f: Fixture, names: readonly (string | null)[]): void {
  for (const n of names) expect(f.scenario.topics, `${f.file} names topic ${n}`).toContain(n);
}

function checkGroup(f: Fixture, groupId: string): void {
  expect(f.scenario.groups, `${f.file} names group ${groupId}`).toContain(groupId);
}

/** What each request of a scenario must say; kinds not listed here are only round-tripped. */
function checkFields(f: Fixture): void {
  const metadata = bodyOf(f, ApiKey.Metadata);
  if (metadata) {
    // A null list asks for every topic (kcat -L), an empty one (v1+) only for brokers (librdkafka's
    // first request on a connection); otherwise a scenario asks for its own topics.
    checkTopics(
      f,
      (metadata.topics ?? []).map((t) => t.name),
    );
  }
  const produce = bodyOf(f, ApiKey.Produce);
  if (produce) {
    expect(produce.topicData.length).toBeGreaterThan(0);
    for (const td of produce.topicData) {
      checkTopics(f, [td.name]);
      const sent = f.scenario.produce.find((p) => p.topic === td.name);
      expect(sent, `${f.file}: the manifest says what was sent to ${td.name}`).toBeDefined();
      for (const pd of td.partitionData) {
        if (sent?.partition !== undefined) expect(pd.index).toBe(sent.partition);
        expect(pd.records).not.toBeNull();
        for (const b of batchesOf(pd.records ?? Buffer.alloc(0))) {
          expect(b.magic).toBe(2);
          expect(b.codec).toBe(CODEC_IDS[sent?.compression ?? 'none']);
          expect(b.transactional).toBe(produce.transactionalId !== null);
          if (/idempotent|transactional/.test(f.scenario.name)) expect(b.producerId).toBeGreaterThanOrEqual(0n);
        }
        if (sent?.compression === 'none') {
          const text = pd.records?.toString('utf8') ?? '';
          for (const m of sent.messages) {
            for (const s of [m.key, m.value, ...m.headers.flatMap((h) => [h.key, h.value])]) {
              if (s) expect(text).toContain(s);
            }
          }
        }
      }
    }
  }
  const fetch = bodyOf(f, ApiKey.Fetch);
  if (fetch) {
    // v13+ names topics by id only (the recorder's ids are a hash of the name).
    const byId = new Map(f.scenario.topics.map((t) => [topicIdFor(t), t]));
    checkTopics(
      f,
      fetch.topics.map((t) => (f.request.header.apiVersion >= 13 ? (byId.get(t.topicId) ?? t.topicId) : t.topic)),
    );
  }
  const listOffsets = bodyOf(f, ApiKey.ListOffsets);
  if (listOffsets)
    checkTopics(
      f,
      listOffsets.topics.map((t) => t.name),
    );
  const createTopics = bodyOf(f, ApiKey.CreateTopics);
  if (createTopics)
    checkTopics(
      f,
      createTopics.topics.map((t) => t.name),
    );
  const deleteTopics = bodyOf(f, ApiKey.DeleteTopics);
  if (deleteTopics) checkTopics(f, [...deleteTopics.topicNames, ...deleteTopics.topics.map((t) => t.name)]);
  const describeConfigs = bodyOf(f, ApiKey.DescribeConfigs);
  if (describeConfigs) {
    const TOPIC = 2;
    checkTopics(
      f,
      describeConfigs.resources.filter((r) => r.resourceType === TOPIC).map((r) => r.resourceName),
    );
  }
  const join = bodyOf(f, ApiKey.JoinGroup);
  if (join) {
    checkGroup(f, join.groupId);
    expect(join.protocolType).toBe('consumer');
    expect(join.protocols.length).toBeGreaterThan(0);
    for (const p of join.protocols) {
      const readAs = subscriptionReadAs(f.client);
      const subscription = consumerProtocol(p.metadata, readConsumerProtocolSubscription, readAs);
      expect([...subscription.topics].sort()).toEqual([...f.scenario.topics].sort());
    }
  }
  const sync = bodyOf(f, ApiKey.SyncGroup);
  if (sync) {
    checkGroup(f, sync.groupId);
    for (const a of sync.assignments) {
      const assignment = consumerProtocol(a.assignment, readConsumerProtocolAssignment);
      checkTopics(
        f,
        assignment.assignedPartitions.map((t) => t.topic),
      );
    }
  }
  const heartbeat = bodyOf(f, ApiKey.Heartbeat);
  if (heartbeat) checkGroup(f, heartbeat.groupId);
  const leave = bodyOf(f, ApiKey.LeaveGroup);
  if (leave) checkGroup(f, leave.groupId);
  const commit = bodyOf(f, ApiKey.OffsetCommit);
  if (commit) {
    checkGroup(f, commit.groupId);
    checkTopics(
      f,
      commit.topics.map((t) => t.name),
    );
  }
  const offsetFetch = bodyOf(f, ApiKey.OffsetFetch);
  if (offsetFetch) {
    // v8+ moved the group into a list.
    for (const g of [offsetFetch.groupId, ...offsetFetch.groups.map((x) => x.groupId)].filter(Boolean)) {
      checkGroup(f, g);
    }
  }
  const consumerHeartbeat = bodyOf(f, ApiKey.ConsumerGroupHeartbeat);
  if (consumerHeartbeat) {
    checkGroup(f, consumerHeartbeat.groupId);
    checkTopics(f, consumerHeartbeat.subscribedTopicNames ?? []);
  }
  const describeGroups = bodyOf(f, ApiKey.DescribeGroups);
  if (describeGroups) for (const g of describeGroups.groups) checkGroup(f, g);
}

describe.each(clients)('golden requests from %s', (client) => {
  const manifest = loadManifest(client);
  const scenarios = new Map(manifest.scenarios.map((s) => [s.name, s]));

  it('has a manifest entry for every fixture file and a file for every entry', () => {
    const files = readdirSync(join(GOLDEN_DIR, client)).filter((f) => f.endsWith('.bin'));
    expect(manifest.fixtures.map((f) => f.file).sort()).toEqual(files.sort());
    for (const f of manifest.fixtures) expect(scenarios.has(f.scenario), f.scenario).toBe(true);
  });

  for (const entry of manifest.fixtures) {
    it(`${entry.file} decodes, makes sense for scenario ${entry.scenario}, and re-encodes byte for byte`, () => {
      const bytes = readFileSync(join(GOLDEN_DIR, client, entry.file));
      const request = decodeRequestFrame(bytes);
      const { header } = request;
      expect(header).toMatchObject({
        apiKey: entry.apiKey,
        apiVersion: entry.apiVersion,
        correlationId: entry.correlationId,
        clientId: entry.clientId,
      });
      expect(API_SPECS[entry.apiKey as ApiKey].name).toBe(entry.apiName);
      expect(header.unknownTaggedFields).toBeUndefined();
      const scenario = scenarios.get(entry.scenario);
      if (!scenario) throw new Error(`no scenario ${entry.scenario}`);
      const fixture = { client, file: entry.file, bytes, scenario, request };
      checkFields(fixture);

      const reencoded = encodeRequestFrame(
        {
          apiKey: header.apiKey as ApiKey,
          apiVersion: header.apiVersion,
          correlationId: header.correlationId,
          clientId: header.clientId,
        },
        request.body,
      ).subarray(4);
      expect(reencoded.toString('hex')).toBe(bytes.toString('hex'));
      expect(reencoded.equals(bytes)).toBe(true);
    });
  }

  it('holds, for each produce scenario, one record per message sent', () => {
    for (const s of manifest.scenarios) {
      for (const sent of s.produce) {
        let count = 0;
        for (const entry of manifest.fixtures.filter((f) => f.scenario === s.name && f.apiKey === ApiKey.Produce)) {
          const body = decodeRequestFrame(readFileSync(join(GOLDEN_DIR, client, entry.file))).body as RequestTypes[0];
          for (const pd of body.topicData.find((t) => t.name === sent.topic)?.partitionData ?? []) {
            for (const b of batchesOf(pd.records ?? Buffer.alloc(0))) count += b.count;
          }
        }
        expect(count, `${s.name}: records in ${sent.topic}`).toBe(sent.messages.length);
      }
    }
  });

  it('decompresses every produced batch to exactly the records the client sent, in order', () => {
    const text = (b: Buffer | null) => (b === null ? null : b.toString('utf8'));
    for (const s of manifest.scenarios) {
      for (const sent of s.produce) {
        const received: {
          key: string | null;
          value: string | null;
          headers: { key: string; value: string | null }[];
        }[] = [];
        for (const entry of manifest.fixtures.filter((f) => f.scenario === s.name && f.apiKey === ApiKey.Produce)) {
          const body = decodeRequestFrame(readFileSync(join(GOLDEN_DIR, client, entry.file))).body as RequestTypes[0];
          for (const pd of body.topicData.find((t) => t.name === sent.topic)?.partitionData ?? []) {
            for (const batch of decodeBatches(pd.records ?? Buffer.alloc(0)).batches) {
              if (batch.magic !== 2) throw new Error(`${entry.file}: magic ${batch.magic}`);
              expect(batch.header.compression, `${entry.file} codec`).toBe(CODEC_IDS[sent.compression]);
              for (const r of decodeRecords(batch)) {
                received.push({
                  key: text(r.key),
                  value: text(r.value),
                  headers: r.headers.map((h) => ({ key: h.key, value: text(h.value) })),
                });
              }
            }
          }
        }
        // Records of one topic may be spread over partitions; compare as multisets, and in order per key.
        const norm = (m: {
          key: string | null;
          value: string | null;
          headers: readonly { key: string; value: string | null }[];
        }) => JSON.stringify([m.key, m.value, m.headers.map((h) => [h.key, h.value])]);
        expect(received.map(norm).sort(), `${s.name}: ${sent.topic}`).toEqual(sent.messages.map(norm).sort());
      }
    }
  });
});
