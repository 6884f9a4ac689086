// Layering, checked: node/ is the protocol and knows nothing of the harness; client/ uses node's
// public modules only; nothing outside the orchestrator's runtime code touches Docker.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

const resolvesInto = (file: string, spec: string, folder: string): boolean =>
  spec.startsWith('.') && relative(ROOT, join(ROOT, file, '..', spec)).startsWith(`${folder}/`);

describe('architecture', () => {
  it('node/ imports neither client/ nor orchestrator/ nor any Docker library', () => {
    const bad = sources('node').flatMap((f) => importsOf(f)
      .filter((s) => resolvesInto(f, s, 'orchestrator') || resolvesInto(f, s, 'client') || /^(dockerode|testcontainers)$/.test(s))
      .map((s) => `${f} → ${s}`));
    expect(bad).toEqual([]);
  });

  it('client/ does not import orchestrator/', () => {
    const bad = sources('client').flatMap((f) => importsOf(f).filter((s) => resolvesInto(f, s, 'orchestrator')).map((s) => `${f} → ${s}`));
    expect(bad).toEqual([]);
  });

  it('dockerode is used only by the orchestrator (and bench/test code)', () => {
    const bad = [...sources('node'), ...sources('client')].flatMap((f) => importsOf(f).filter((s) => s === 'dockerode').map((s) => `${f} → ${s}`));
    expect(bad).toEqual([]);
  });

  it('the checker stays pure: no sockets, processes or Docker', () => {
    const bad = sources('orchestrator/checker').flatMap((f) => importsOf(f)
      .filter((s) => /^(node:(net|http|child_process)|ws|dockerode)$/.test(s)).map((s) => `${f} → ${s}`));
    expect(bad).toEqual([]);
  });
});
