import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The ingest server serves the built files under /app/watch/ and index.html for /watch/:code.
export default defineConfig({
  base: '/app/watch/',
  plugins: [svelte()],
  build: {
    target: 'es2022',
    sourcemap: true,
    // hls.js and socket.io make the first chunk ~740 kB (~235 kB gzipped); mediasoup-client and the
    // stage come in a chunk of their own, loaded only when the viewer goes on stage.
    chunkSizeWarningLimit: 800,
  },
});
