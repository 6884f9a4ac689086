// Starts a node from an EnrolConfig (docs/membership.md#registration): the first time it registers
// by quorum and keeps what it was admitted as; after a restart it resumes from that record and
// catches up the directory from its peers, as any restarted member does.
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { EnrolConfig } from '../config.js';
import { keyPairFromSeed } from '../crypto/index.js';
import { DirectoryData } from '../directory/schema.js';
import { readDirectoryFile, startNode, type NodeDeps, type RunningNode } from '../node.js';
import { QuorumCertificate } from '../wire/schemas.js';
import { enrol } from './enrol.js';

const Enrolment = z.object({ id: z.number().int().positive(), directory: DirectoryData, chain: z.array(QuorumCertificate) });
type Enrolment = z.infer<typeof Enrolment>;

async function admission(config: EnrolConfig, log: (line: string) => void): Promise<Enrolment> {
  if (existsSync(config.enrolledPath)) {
    const parsed = Enrolment.safeParse(JSON.parse(await readFile(config.enrolledPath, 'utf8')));
    if (!parsed.success) throw new Error(`${config.enrolledPath}: not an enrolment record: ${parsed.error.issues[0]?.message}`);
    log(`resuming as node ${parsed.data.id} (admitted before; ${config.enrolledPath})`);
    return parsed.data;
  }
  const genesis = await readDirectoryFile(config.directoryPath);
  const at = config.advertise ?? { host: config.listen.host, port: config.listen.port };
  const enrolled = await enrol({
    genesis, key: keyPairFromSeed(Buffer.from(config.privateKey, 'hex')), credential: config.credential, at, bootstrap: config.bootstrap,
  });
  const tmp = `${config.enrolledPath}.tmp`;
  await writeFile(tmp, JSON.stringify(enrolled));
  await rename(tmp, config.enrolledPath);
  log(`admitted as node ${enrolled.id} at epoch ${enrolled.directory.epoch}`);
  return enrolled;
}

export async function startEnrolledNode(config: EnrolConfig, deps: NodeDeps = {}, log: (line: string) => void = () => {}): Promise<RunningNode> {
  const { id, directory, chain } = await admission(config, log);
  const { credential: _c, bootstrap: _b, advertise: _a, enrolledPath: _e, directoryPath: _d, ...rest } = config;
  return startNode({ ...rest, id, directory }, { ...deps, chain });
}
