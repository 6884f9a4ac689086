// The node image: used as it is when present, else built from this package's docker/Dockerfile with
// the engine's build API. Build output goes to a log file; the caller sees one line per build step.
import { existsSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { SpinozaError } from '../../errors.js';
import { statusOf } from './engine.js';

export const DEFAULT_IMAGE = 'spinoza/node:local';
/** The registry-free base docker/build-base-image.sh makes; preferred when present (no pull needed). */
export const LOCAL_BASE_IMAGE = 'spinoza/node-base:local';
const DOCKERFILE = 'docker/Dockerfile';
/** What docker/Dockerfile reads from its context: sending only these keeps the upload small. */
const CONTEXT = ['package.json', 'package-lock.json', 'tsconfig.json', 'node', 'client', 'docker'];

export interface EnsureImageOptions {
  image: string;
  /** BASE_IMAGE build argument; default LOCAL_BASE_IMAGE if present, else the Dockerfile's own. */
  baseImage?: string;
  /** The build log (every line the builder prints). */
  logFile: string;
  /** Called with each step as the builder starts it, e.g. `Step 5/17`. */
  onStep?: (step: string) => void;
  signal?: AbortSignal;
  /** Build even if the image exists (the builder's cache makes an unchanged rebuild take ~1 s). */
  rebuild?: boolean;
}

export async function imageExists(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).inspect();
    return true;
  } catch (e) {
    if (statusOf(e) === 404) return false;
    throw e;
  }
}

/** Resolves with whether it had to build. */
export async function ensureImage(docker: Docker, opts: EnsureImageOptions): Promise<boolean> {
  if (!opts.rebuild && (await imageExists(docker, opts.image))) return false;
  const root = packageRoot();
  const base = opts.baseImage ?? ((await imageExists(docker, LOCAL_BASE_IMAGE)) ? LOCAL_BASE_IMAGE : undefined);
  await mkdir(dirname(opts.logFile), { recursive: true });
  const log = (await open(opts.logFile, 'w')).createWriteStream();
  try {
    const stream = await docker.buildImage({ context: root, src: CONTEXT.filter((f) => existsSync(join(root, f))) }, {
      t: opts.image,
      dockerfile: DOCKERFILE,
      rm: true,
      forcerm: true,
      ...(base !== undefined && { buildargs: { BASE_IMAGE: base } }),
      ...(opts.signal && { abortSignal: opts.signal }),
    });
    await follow(docker, stream, log, opts.onStep);
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    const reason = e instanceof Error ? e.message.trim() : String(e);
    throw new SpinozaError('image-build-failed', `building ${opts.image} failed: ${reason}`,
      `see ${opts.logFile}; ${base === undefined ? `without a registry, first build the local base: \`bash docker/build-base-image.sh\`` : 'fix the build, or build it by hand (docs/docker.md)'}`,
      { cause: e });
  } finally {
    await new Promise((done) => log.end(done));
  }
  return true;
}

/** Streams the builder's JSON messages into the log; rejects with the builder's error, if any. */
function follow(docker: Docker, stream: NodeJS.ReadableStream, log: NodeJS.WritableStream, onStep?: (s: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: string | undefined;
    docker.modem.followProgress(stream, (err) => (err ? reject(err) : failure ? reject(new Error(failure)) : resolve()), (msg: BuildMessage) => {
      if (typeof msg.stream === 'string') {
        log.write(msg.stream);
        const step = /^Step (\d+\/\d+)/.exec(msg.stream);
        if (step) onStep?.(`Step ${step[1]}`);
      }
      if (msg.error !== undefined) {
        failure = msg.error;
        log.write(`error: ${msg.error}\n`);
      }
    });
  });
}

interface BuildMessage {
  stream?: string;
  error?: string;
}

/** The package's root (holding docker/Dockerfile), from this file in the sources or in dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, DOCKERFILE)) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new SpinozaError('image-build-failed', `no ${DOCKERFILE} above ${fileURLToPath(import.meta.url)}`,
        'build the image from a clone of the repository (docs/docker.md), or pass an existing image');
    }
    dir = parent;
  }
}
