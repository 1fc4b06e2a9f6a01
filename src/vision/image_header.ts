/**
 * What a compressed image's bytes say about themselves before anything decodes them: the container
 * (by signature), the size its header claims, and whether the file is complete (JPEG end marker, PNG
 * IEND chunk). Pure byte reading, so a 40000x40000 header or a cut-off JPEG is refused without
 * handing it to libjpeg/libpng (which would allocate the full image, or decode half of it silently).
 */

export type ImageContainer = 'jpeg' | 'png' | 'bmp' | 'webp' | 'tiff' | 'pnm';

export interface ImageHeader {
  container: ImageContainer;
  /** Size the header claims; undefined where this reader does not parse the container's header. */
  width?: number;
  height?: number;
  /**
   * False when the bytes end before the image does (JPEG without its end-of-image marker, PNG
   * without IEND or with a chunk running past the end); true where checked and complete; undefined
   * where not checked (other containers).
   */
  complete?: boolean;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  return prefix.every((b, i) => bytes[at + i] === b);
}

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));
const u16be = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;
const u32be = (b: Uint8Array, i: number): number => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
const i32le = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);

/** The container of `bytes` by its signature, with size and completeness where known; undefined: not an image format we know. */
export function readImageHeader(bytes: Uint8Array): ImageHeader | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return png(bytes);
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return jpeg(bytes);
  if (startsWith(bytes, ascii('BM')) && bytes.length >= 26) return { container: 'bmp', width: Math.abs(i32le(bytes, 18)), height: Math.abs(i32le(bytes, 22)) };
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return { container: 'webp' };
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return { container: 'tiff' };
  if (bytes.length >= 3 && bytes[0] === 0x50 && bytes[1]! >= 0x31 && bytes[1]! <= 0x36 && (bytes[2] === 0x0a || bytes[2] === 0x20 || bytes[2] === 0x0d || bytes[2] === 0x09)) return { container: 'pnm' };
  return undefined;
}

/** PNG: IHDR right after the signature holds the size; chunks (length, type, data, CRC) run to IEND. */
function png(bytes: Uint8Array): ImageHeader {
  const header: ImageHeader = { container: 'png', complete: false };
  if (bytes.length >= 24 && startsWith(bytes, ascii('IHDR'), 12)) {
    header.width = u32be(bytes, 16);
    header.height = u32be(bytes, 20);
  }
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = u32be(bytes, at);
    const end = at + 12 + length;
    if (end > bytes.length) return header;
    if (startsWith(bytes, ascii('IEND'), at + 4)) {
      header.complete = true;
      return header;
    }
    at = end;
  }
  return header;
}

/** JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic): they hold the size. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/**
 * JPEG: marker segments up to start-of-scan, then entropy-coded data in which 0xFF is always
 * followed by 0x00 or a restart marker, until the end-of-image marker FF D9. Progressive files have
 * more segments and scans between; the scan below skips them the same way.
 */
function jpeg(bytes: Uint8Array): ImageHeader {
  const header: ImageHeader = { container: 'jpeg', complete: false };
  let at = 2;
  for (;;) {
    // Markers may be preceded by fill bytes 0xFF.
    while (at < bytes.length && bytes[at] === 0xff && bytes[at + 1] === 0xff) at++;
    if (at + 2 > bytes.length || bytes[at] !== 0xff) return header;
    const marker = bytes[at + 1]!;
    if (marker === 0xd9) {
      header.complete = true;
      return header;
    }
    // Standalone markers carry no length.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    if (at + 4 > bytes.length) return header;
    const length = u16be(bytes, at + 2);
    if (length < 2 || at + 2 + length > bytes.length) return header;
    if (isStartOfFrame(marker) && length >= 7 && header.width === undefined) {
      header.height = u16be(bytes, at + 5);
      header.width = u16be(bytes, at + 7);
    }
    at += 2 + length;
    if (marker === 0xda) {
      // Entropy-coded data: skip to the next marker that is not a stuffed byte or a restart.
      while (at + 1 < bytes.length && !(bytes[at] === 0xff && bytes[at + 1] !== 0x00 && !(bytes[at + 1]! >= 0xd0 && bytes[at + 1]! <= 0xd7))) at++;
      if (at + 1 >= bytes.length) return header;
    }
  }
}
