/**
 * The conformance suite against the ProcessDriver: brokers as local processes of packages/broker/dist,
 * in a temporary state directory.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { ProcessDriver } from '../src/process-driver.js';
import { describeRuntimeConformance } from './conformance.js';

const stateDir = mkdtempSync(join(tmpdir(), 'flotilla-runtime-'));
const brokerMain = fileURLToPath(new URL('../../broker/dist/main.js', import.meta.url));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

describeRuntimeConformance({
  name: 'process',
  async skip() {
    return existsSync(brokerMain) ? null : `no broker build at ${brokerMain} (npm run build -w @flotilla/broker)`;
  },
  async driver() {
    return new ProcessDriver({ stateDir, brokerMain });
  },
  async reopen() {
    return new ProcessDriver({ stateDir, brokerMain });
  },
  async crash(_driver, ref) {
    // Kill the broker process behind the supervisor's back, as the OOM killer would.
    const run = JSON.parse(readFileSync(join(stateDir, ref.clusterId, `broker-${ref.nodeId}`, 'run.json'), 'utf8'));
    process.kill(run.brokerPid, 'SIGKILL');
  },
  async leftovers(clusterId) {
    return existsSync(join(stateDir, clusterId)) ? readdirSync(join(stateDir, clusterId)) : [];
  },
});
