// Makes `npx spinoza` work inside a clone: npm links the bins of dependencies, never the
// package's own, so `prepare` links ours into node_modules/.bin after the build.
import { chmodSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'dist', 'orchestrator', 'cli.js');
const link = join(root, 'node_modules', '.bin', 'spinoza');
chmodSync(target, 0o755);
mkdirSync(dirname(link), { recursive: true });
rmSync(link, { force: true });
symlinkSync(relative(dirname(link), target), link);
