import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerDriver } from './docker-driver.js';
import { ProcessDriver } from './process-driver.js';
import { createRuntimeDriver } from './select.js';

const noEngine = new Docker({ socketPath: '/nonexistent/docker.sock' });
const saved = process.env.FLOTILLA_RUNTIME;
afterEach(() => {
  if (saved === undefined) delete process.env.FLOTILLA_RUNTIME;
  else process.env.FLOTILLA_RUNTIME = saved;
});

describe('createRuntimeDriver', () => {
  it('falls back to processes when no Docker engine answers', async () => {
    delete process.env.FLOTILLA_RUNTIME;
    const driver = await createRuntimeDriver({ docker: { docker: noEngine } });
    expect(driver).toBeInstanceOf(ProcessDriver);
    expect(driver.addressing).toBe('loopback');
  });

  it('takes FLOTILLA_RUNTIME=process even where an engine answers', async () => {
    process.env.FLOTILLA_RUNTIME = 'process';
    expect((await createRuntimeDriver()).kind).toBe('process');
  });

  it('fails with RUNTIME_UNAVAILABLE when docker is asked for and none answers, or the name is wrong', async () => {
    process.env.FLOTILLA_RUNTIME = 'docker';
    await expect(createRuntimeDriver({ docker: { docker: noEngine } })).rejects.toMatchObject({
      code: 'RUNTIME_UNAVAILABLE',
    });
    process.env.FLOTILLA_RUNTIME = 'kubernetes';
    await expect(createRuntimeDriver()).rejects.toMatchObject({ code: 'RUNTIME_UNAVAILABLE' });
  });

  it('picks Docker by default when the engine answers', async (ctx) => {
    delete process.env.FLOTILLA_RUNTIME;
    const engine = new Docker();
    const up = await engine.ping().then(
      () => true,
      () => false,
    );
    if (!up) return ctx.skip('no Docker engine here');
    const driver = await createRuntimeDriver({ docker: { docker: engine } });
    expect(driver).toBeInstanceOf(DockerDriver);
    expect(driver.addressing).toBe('cluster-network');
  });
});
