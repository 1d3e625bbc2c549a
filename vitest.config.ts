import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Crash and CLI tests start real child processes; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Every change to a partition's offsets checks their invariants (src/log/segment-list.ts).
    env: { SEGLOG_CHECK_INVARIANTS: '1' },
  },
})
