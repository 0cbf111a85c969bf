import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// Served by the broker at /console (apps/broker/src/http/console-static.ts) under a CSP without
// inline script: the build emits only files, no inline <script> (modulePreload's polyfill is
// bundled, not inlined).
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, modulePreload: { polyfill: false } },
})
