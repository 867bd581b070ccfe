import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

// The server serves dist/web at `/` and the API under /v1 on the same origin.
// For `vite` dev mode, /v1 (HTTP and the WebSocket stream) is proxied to a local API server
// whose address is given by LIAISON_API (default http://127.0.0.1:3000).
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    sourcemap: false,
    // keep every asset a separate file: a strict CSP (default-src 'self') forbids data: URLs
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      '/v1': { target: process.env.LIAISON_API ?? 'http://127.0.0.1:3000', ws: true, changeOrigin: true },
    },
  },
});
