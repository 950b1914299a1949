import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: integration files each start their own Azurite and emulators.
    maxWorkers: 2,
    reporters: ['default'],
    // Product logs (pino) are quiet in tests unless something is wrong.
    env: { LOG_LEVEL: 'error' },
  },
});
