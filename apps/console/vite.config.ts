import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into dist/, which the API serves at / (apps/api/src/plugins/console.ts). In `vite dev`, API
// calls go to a control plane on FLOTILLA_API (default http://127.0.0.1:8080).
const api = process.env.FLOTILLA_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 900 },
  server: { proxy: { '/v1': api, '/api': api } },
});
