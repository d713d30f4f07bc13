/**
 * The conformance suite against the DockerDriver on the real engine, with the real broker image
 * (infra/image/build.sh, run here: ~7 s the first time, ~1 s when nothing changed). Skipped, with the
 * reason, where no Docker engine answers.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { DockerDriver } from '../src/docker-driver.js';
import { brokerName, LABEL_CLUSTER } from '../src/driver.js';
import { describeRuntimeConformance } from './conformance.js';

const docker = new Docker();
const buildScript = fileURLToPath(new URL('../../../infra/image/build.sh', import.meta.url));

function buildImage(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(buildScript, { timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${buildScript} failed: ${err.message}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

describeRuntimeConformance({
  name: 'docker',
  async skip() {
    try {
      await docker.ping();
    } catch (e) {
      return `no Docker engine answers (${(e as Error).message})`;
    }
    await buildImage();
    return null;
  },
  async driver() {
    return new DockerDriver({ docker });
  },
  async reopen() {
    return new DockerDriver();
  },
  async crash(_driver, ref) {
    // SIGKILL the container's main process from the host: to the engine this is a crash, not a
    // `docker kill`, so the restart policy applies.
    const info = await docker.getContainer(brokerName(ref)).inspect();
    process.kill(info.State.Pid, 'SIGKILL');
  },
  async leftovers(clusterId) {
    const filters = { label: [`${LABEL_CLUSTER}=${clusterId}`] };
    const [containers, volumes, networks] = await Promise.all([
      docker.listContainers({ all: true, filters }),
      docker.listVolumes({ filters }),
      docker.listNetworks({ filters }),
    ]);
    return [
      ...containers.map((c) => `container ${c.Names.join(',')}`),
      ...(volumes.Volumes ?? []).map((v) => `volume ${v.Name}`),
      ...networks.map((n) => `network ${n.Name}`),
    ];
  },
});
