/**
 * The shape of test/fixtures/golden/<client>/manifest.json: who sent each captured frame, in which
 * scenario, and for produce scenarios exactly which records went out (so a test can check that a
 * fixture's record batches decompress to them).
 */

export type CompressionCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface ProducedHeader {
  readonly key: string;
  readonly value: string | null;
}

/** One record as the client was asked to send it (UTF-8 strings; null is a null key or value). */
export interface ProducedMessage {
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: readonly ProducedHeader[];
}

export interface ProducedRecords {
  readonly topic: string;
  /** The partition the client was told to use, when it was told one. */
  readonly partition?: number;
  readonly compression: CompressionCodec;
  /** Every record the scenario sent to the topic, in order, over all its Produce requests. */
  readonly messages: readonly ProducedMessage[];
}

export interface ScenarioInfo {
  readonly name: string;
  readonly description: string;
  /** The command line that ran the client, with the recorder's address as `$BOOTSTRAP`. */
  readonly command?: readonly string[];
  /** Topics the scenario names; requests of the scenario that name topics name only these. */
  readonly topics: readonly string[];
  /** Consumer groups the scenario uses. */
  readonly groups: readonly string[];
  readonly produce: readonly ProducedRecords[];
}

export interface FixtureInfo {
  /** File name inside the client's folder: NNN-<ApiName>-v<version>.bin, a request without its size prefix. */
  readonly file: string;
  readonly scenario: string;
  readonly apiKey: number;
  readonly apiName: string;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

export interface GoldenManifest {
  readonly client: string;
  readonly clientVersion: string;
  readonly scenarios: readonly ScenarioInfo[];
  readonly fixtures: readonly FixtureInfo[];
}
