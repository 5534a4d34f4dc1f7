import { defineConfig } from 'vitest/config';

// The engine's simulations run as measurements, not tests: `npm run bench:sims`.
export default defineConfig({
  test: {
    include: ['bench/sims/**/*.sim.ts'],
    testTimeout: 600_000,
  },
});
