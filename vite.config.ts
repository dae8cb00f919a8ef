import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

/**
 * Cross-origin isolation (COOP/COEP) lets tfjs's wasm backend use threads
 * later on; set for both the dev server and `vite preview`.
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [vue()],
  // Lazy-loaded dependencies, pre-bundled up front so that the dev server never reloads the page on first use.
  optimizeDeps: {
    include: [
      'elkjs/lib/elk.bundled.js', 'uplot',
      '@tensorflow/tfjs-core', '@tensorflow/tfjs-core/dist/register_all_gradients',
      '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgl', '@tensorflow/tfjs-backend-webgpu',
    ],
  },
  // Build the worker as an ES module (tfjs's backends are split into chunks).
  worker: { format: 'es' },
  server: { headers: isolation, port: 5173 },
  preview: { headers: isolation },
});
