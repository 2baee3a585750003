import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The ingest server serves index.html for /host/:code and the built files under /app/host/.
export default defineConfig({
  base: '/app/host/',
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    target: 'es2022',
    sourcemap: true,
    // Everyone here goes on stage: mediasoup-client, socket.io and hls.js all load at once.
    chunkSizeWarningLimit: 1100,
  },
});
