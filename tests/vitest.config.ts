import { defineConfig } from 'vitest/config';

// Cross-process tests share two cores with mediasoup, FFmpeg and Chromium: run files one at a time.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
