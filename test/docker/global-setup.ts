// Once before the docker suite: the base image if missing (its script), the node image from the
// working tree (cached layers make an unchanged rebuild ~1 s), and a sweep of earlier leftovers.
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { connectEngine } from '../../orchestrator/backends/docker/engine.js';
import { ensureImage, imageExists, LOCAL_BASE_IMAGE } from '../../orchestrator/backends/docker/image.js';
import { IMAGE, sweep } from './support.js';

export default async function setup(): Promise<() => Promise<void>> {
  // Workers inherit it: every resource the suite makes is labelled with this run's owner (support.ts).
  process.env['SPINOZA_TEST_OWNER'] = String(process.pid);
  const docker = await connectEngine(new Docker());
  if (!(await imageExists(docker, LOCAL_BASE_IMAGE))) {
    execFileSync('bash', ['docker/build-base-image.sh'], { stdio: 'inherit' });
  }
  const t0 = Date.now();
  await ensureImage(docker, {
    image: IMAGE,
    rebuild: true,
    logFile: join(tmpdir(), 'spinoza-test-image-build.log'),
    // One rewritten line on a terminal, a line per step in CI logs.
    onStep: (step) => process.stderr.write(process.stderr.isTTY ? `\r\x1b[Kbuilding ${IMAGE}: ${step}` : `building ${IMAGE}: ${step}\n`),
  });
  process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}built ${IMAGE} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  await sweep();
  return sweep;
}
