/**
 * MCAP chunk decompression: rosbag2's MCAP storage compresses chunks with zstd by default (lz4 on
 * request). The WebAssembly builds load asynchronously, so readers await `decompressHandlers()`.
 */
import zstd from '@foxglove/wasm-zstd';
import lz4 from '@foxglove/wasm-lz4';
import type { McapTypes } from '@mcap/core';

export async function decompressHandlers(): Promise<McapTypes.DecompressHandlers> {
  await Promise.all([zstd.isLoaded, lz4.isLoaded]);
  return {
    zstd: (buffer, size) => zstd.decompress(buffer, Number(size)),
    lz4: (buffer, size) => lz4(buffer, Number(size)),
  };
}
