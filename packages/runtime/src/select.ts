/**
 * Chooses the runtime: FLOTILLA_RUNTIME=docker|process, else Docker when an engine answers, else local
 * processes (ARCHITECTURE.md: the ProcessDriver is the embedded default where no engine exists).
 */
import { DockerDriver, type DockerDriverOptions } from './docker-driver.js';
import { type RuntimeDriver, RuntimeError, type RuntimeKind } from './driver.js';
import { ProcessDriver, type ProcessDriverOptions } from './process-driver.js';

export interface SelectRuntimeOptions {
  readonly runtime?: RuntimeKind | undefined;
  readonly docker?: DockerDriverOptions;
  readonly process?: ProcessDriverOptions;
}

export async function createRuntimeDriver(options: SelectRuntimeOptions = {}): Promise<RuntimeDriver> {
  const wanted = options.runtime ?? (process.env.FLOTILLA_RUNTIME as RuntimeKind | undefined) ?? undefined;
  if (wanted !== undefined && wanted !== 'docker' && wanted !== 'process') {
    throw new RuntimeError('RUNTIME_UNAVAILABLE', `FLOTILLA_RUNTIME must be docker or process, not ${wanted}`);
  }
  if (wanted === 'process') return new ProcessDriver(options.process);
  const docker = new DockerDriver(options.docker);
  if (wanted === 'docker') {
    await docker.ping();
    return docker;
  }
  try {
    await docker.ping();
    return docker;
  } catch {
    return new ProcessDriver(options.process);
  }
}
