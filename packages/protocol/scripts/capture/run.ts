/**
 * Re-records the golden request fixtures: `npm run capture -w @flotilla/protocol [-- client...]`.
 *
 * Each client driver plays its scenarios against a fresh Recorder; the frames it sent are written to
 * test/fixtures/golden/<client>/NNN-<ApiName>-v<version>.bin with a manifest.json (see manifest.ts).
 * To keep the fixtures small, a frame that repeats an earlier one byte for byte (correlation id aside)
 * is dropped, and so is a scenario's third and later frame of the same API and version (fetch polls,
 * heartbeats, metadata refreshes), except for Produce, whose every frame is kept.
 * Tests never run this: it needs kcat, Python clients and a few seconds per scenario.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isApiKey, readRequestFrameHeader } from '../../src/frames.js';
import { API_SPECS, ApiKey } from '../../src/generated/api.js';
import { Reader } from '../../src/primitives/reader.js';
import { kafkajsDriver } from './clients/kafkajs.js';
import { kcatDriver } from './clients/kcat.js';
import { platformaticDriver } from './clients/platformatic.js';
import { confluentKafkaDriver, kafkaPythonDriver } from './clients/python.js';
import type { FixtureInfo, GoldenManifest, ScenarioInfo } from './manifest.js';
import { type CapturedFrame, Recorder } from './recorder.js';
import type { ClientDriver } from './scenario.js';

const GOLDEN_DIR = fileURLToPath(new URL('../../test/fixtures/golden/', import.meta.url));
const DRIVERS: readonly ClientDriver[] = [
  kcatDriver,
  kafkajsDriver,
  platformaticDriver,
  kafkaPythonDriver,
  confluentKafkaDriver,
];
const FRAMES_PER_API_VERSION = 2;

function apiName(apiKey: number): string {
  return isApiKey(apiKey) ? API_SPECS[apiKey].name : `Unknown${apiKey}`;
}

function selectFrames(frames: readonly CapturedFrame[]): CapturedFrame[] {
  const seen = new Set<string>();
  const perScenario = new Map<string, number>();
  const kept: CapturedFrame[] = [];
  for (const f of frames) {
    const normalized = Buffer.from(f.bytes);
    if (normalized.length >= 8) normalized.writeInt32BE(0, 4);
    const fingerprint = normalized.toString('base64');
    const slot = `${f.scenario}/${f.apiKey}/${f.apiVersion}`;
    const count = perScenario.get(slot) ?? 0;
    const capped = f.apiKey !== ApiKey.Produce && count >= FRAMES_PER_API_VERSION;
    if (f.error === undefined && (seen.has(fingerprint) || capped)) continue;
    seen.add(fingerprint);
    perScenario.set(slot, count + 1);
    kept.push(f);
  }
  return kept;
}

function describeFrame(f: CapturedFrame, file: string): FixtureInfo {
  let correlationId = -1;
  let clientId: string | null = null;
  try {
    const header = readRequestFrameHeader(new Reader(f.bytes));
    correlationId = header.correlationId;
    clientId = header.clientId;
  } catch {
    // An undecodable header is for the golden test to report; the manifest still names the frame.
  }
  return {
    file,
    scenario: f.scenario,
    apiKey: f.apiKey,
    apiName: apiName(f.apiKey),
    apiVersion: f.apiVersion,
    correlationId,
    clientId,
  };
}

async function record(driver: ClientDriver): Promise<void> {
  const recorder = new Recorder();
  const bootstrap = await recorder.start();
  const scenarios: ScenarioInfo[] = [];
  try {
    for (const s of driver.scenarios()) {
      console.log(`${driver.name}: ${s.name}`);
      recorder.beginScenario(s.name);
      await s.run(bootstrap);
      // Let a client's last requests (LeaveGroup, a final commit) arrive before the next scenario.
      await new Promise((resolve) => setTimeout(resolve, 300));
      recorder.disconnectAll();
      scenarios.push({
        name: s.name,
        description: s.description,
        ...(s.command ? { command: s.command } : {}),
        topics: s.topics,
        groups: s.groups ?? [],
        produce: s.produce ?? [],
      });
    }
  } finally {
    await recorder.close();
  }

  const dir = join(GOLDEN_DIR, driver.name);
  await mkdir(dir, { recursive: true });
  for (const f of await readdir(dir)) {
    if (f.endsWith('.bin') || f === 'manifest.json') await rm(join(dir, f));
  }
  const fixtures: FixtureInfo[] = [];
  for (const [i, f] of selectFrames(recorder.frames).entries()) {
    const file = `${String(i).padStart(3, '0')}-${apiName(f.apiKey)}-v${f.apiVersion}.bin`;
    await writeFile(join(dir, file), f.bytes);
    fixtures.push(describeFrame(f, file));
    if (f.error !== undefined) console.error(`${driver.name}/${file}: the recorder could not answer it: ${f.error}`);
  }
  const manifest: GoldenManifest = { client: driver.name, clientVersion: await driver.version(), scenarios, fixtures };
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const seen = [...new Set(fixtures.map((f) => `${f.apiName} v${f.apiVersion}`))].join(', ');
  console.log(`${driver.name}: ${fixtures.length} of ${recorder.frames.length} frames kept: ${seen}`);
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  for (const driver of DRIVERS) {
    if (only.length > 0 && !only.includes(driver.name)) continue;
    const why = await driver.unavailable();
    if (why !== null) {
      console.warn(`${driver.name}: skipped (${why}); its fixtures are left as they are`);
      continue;
    }
    await record(driver);
  }
}

await main();
