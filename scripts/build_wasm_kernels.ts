/**
 * Compiles the training's SIMD kernels (src/training/gradients/simd/kernels.wat) into
 * kernels-binary.ts, the module's bytes as base64, so the package needs no WebAssembly toolchain
 * at run time. Run after editing the .wat: `npm run build:kernels`. A test checks that the
 * committed bytes are this file's output.
 *   node dist/scripts/build_wasm_kernels.js [--check]
 */
import fs from 'node:fs';
import path from 'node:path';
import { compileKernelsText, KERNELS_SOURCE, KERNELS_BINARY_FILE, kernelsBinaryModule } from './wasm_kernels_source.js';

const bytes = await compileKernelsText(fs.readFileSync(KERNELS_SOURCE, 'utf8'));
const text = kernelsBinaryModule(bytes);
if (process.argv.includes('--check')) {
  const current = fs.readFileSync(KERNELS_BINARY_FILE, 'utf8');
  if (current !== text) {
    console.error(`${path.relative('.', KERNELS_BINARY_FILE)} is not the compiled ${path.relative('.', KERNELS_SOURCE)}: run npm run build:kernels`);
    process.exit(1);
  }
  console.log('kernels binary is up to date');
} else {
  fs.writeFileSync(KERNELS_BINARY_FILE, text);
  console.log(`wrote ${path.relative('.', KERNELS_BINARY_FILE)} (${bytes.length} bytes of WebAssembly)`);
}
