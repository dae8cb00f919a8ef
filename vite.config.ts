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
      'elkjs/lib/elk.bundled.js', 'uplot', 'umap-js', 'fflate',
      '@tensorflow/tfjs-core', '@tensorflow/tfjs-core/dist/register_all_gradients',
      '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgl', '@tensorflow/tfjs-backend-webgpu',
    ],
  },
  // The training worker: an ES module (tfjs's backends are split into chunks), mangled but not compressed —
  // compression rewrites the Emscripten code that tfjs stringifies to start its wasm helper threads
  // ("e is not defined" in each helper: NOTES-tfjs.md), and the page is cross-origin isolated, so threads are used.
  worker: { format: 'es', rolldownOptions: { output: { minify: { compress: false, mangle: true } } } },
  // Vue and Pinia in one chunk: lazy chunks share them, and split into four the first load paid ~1 KiB of gzip for the seams.
  build: { rolldownOptions: { output: { codeSplitting: { groups: [{ name: 'vue', test: /node_modules[\\/](@vue|vue|pinia)[\\/]/ }] } } } },
  server: { headers: isolation, port: 5173 },
  preview: { headers: isolation },
});
