import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { compileKernelsText, kernelsBinaryModule, KERNELS_BINARY_FILE, KERNELS_SOURCE } from '../../scripts/wasm_kernels_source.js';

// The SIMD kernels ship as bytes generated from kernels.wat; their results are checked against the
// cpu backend in gradients.test.ts. This keeps the bytes and the source the same program.
test('the committed WebAssembly kernels are the compiled kernels.wat (npm run build:kernels)', async () => {
  const compiled = kernelsBinaryModule(await compileKernelsText(fs.readFileSync(KERNELS_SOURCE, 'utf8')));
  assert.equal(fs.readFileSync(KERNELS_BINARY_FILE, 'utf8'), compiled, 'kernels-binary.ts is stale: run npm run build:kernels');
});
