import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The ingest server serves the built files under /app/watch/ and index.html for /watch/:code.
export default defineConfig({
  base: '/app/watch/',
  plugins: [svelte()],
  build: {
    target: 'es2022',
    sourcemap: true,
    // hls.js, mediasoup-client and socket.io come in one SDK entry point; ~270 kB gzipped is expected.
    chunkSizeWarningLimit: 1100,
  },
});
