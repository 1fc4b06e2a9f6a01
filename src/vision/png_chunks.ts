/**
 * PNG chunk checks done before libpng sees the bytes, so that a damaged file is reported by us with
 * its name instead of by libpng's own unexplained "libpng error: IDAT: CRC error" line on stderr.
 */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as PNG uses) of bytes[start, end). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const u32be = (b: Uint8Array, i: number): number => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;

/**
 * Ancillary chunks dropped before decoding: OpenCV ignores colour profiles, and libpng prints a
 * warning of its own for many real-world ones ("iCCP: known incorrect sRGB profile").
 */
const DROPPED_CHUNKS = new Set(['iCCP']);

export type PngCheck = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

/**
 * Check every chunk's CRC of a complete PNG (signature and IEND already checked by readImageHeader)
 * and return the bytes without the dropped chunks; or the reason the file is damaged.
 */
export function checkPngChunks(bytes: Uint8Array): PngCheck {
  const kept: Uint8Array[] = [bytes.subarray(0, 8)];
  let dropped = false;
  let at = 8;
  while (at + 12 <= bytes.length) {
    const length = u32be(bytes, at);
    const end = at + 12 + length;
    if (end > bytes.length) return { ok: false, reason: `is truncated: PNG chunk at byte ${at} runs past the end of the file` };
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (crc32(bytes, at + 4, at + 8 + length) !== u32be(bytes, at + 8 + length)) return { ok: false, reason: `is damaged: PNG chunk ${JSON.stringify(type)} at byte ${at} has a wrong CRC` };
    if (DROPPED_CHUNKS.has(type)) dropped = true;
    else kept.push(bytes.subarray(at, end));
    at = end;
    if (type === 'IEND') break;
  }
  if (at === 8) return { ok: false, reason: 'is truncated: PNG holds no chunk' };
  return { ok: true, bytes: dropped ? Buffer.concat(kept) : bytes };
}
