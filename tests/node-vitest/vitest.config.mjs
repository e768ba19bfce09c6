import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Starts one `tokenbridge serve` for the run, and stops it at the end.
    globalSetup: ['./global-setup.mjs'],
    // A test waits up to 5 s for a webhook, on top of its Plaid calls.
    testTimeout: 30_000,
  },
});
