import { defineConfig } from 'vitest/config';

// Three projects: `unit` (pure, fast), `local` (real sockets and processes on 127.0.0.1),
// `docker` (real containers; npm run test:docker). Benchmarks live in bench/, not here.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 60_000 } },
      {
        test: {
          name: 'local',
          include: ['test/local/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          globalSetup: ['test/local/global-setup.ts'],
          // Each file starts many nodes; two cores cannot run several such files at once.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'docker',
          include: ['test/docker/**/*.test.ts'],
          globalSetup: ['test/docker/global-setup.ts'],
          // The reaper image cannot be pulled here: the suite cleans up itself (test/docker/support.ts).
          env: { TESTCONTAINERS_RYUK_DISABLED: 'true' },
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
