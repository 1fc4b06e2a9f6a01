import type { Config } from '../config/schema.js';
import type { ResolveOptions } from '../models/resolve.js';
import type { FaceDetector } from './detector.js';
import { HaarDetector } from './haar.js';

/** What a detector serves: photos (one frame on its own, a full scan) or video (detect-and-track). */
export type DetectorUse = 'photo' | 'video';
export type DetectorType = 'haar' | 'yunet';

/** The detector `detector.type` names for a use: `auto` is YuNet for video and the paper's Haar cascade for photos. */
export function detectorTypeFor(config: Config, use: DetectorUse): DetectorType {
  const type = config['detector.type'];
  if (type === 'haar' || type === 'yunet') return type;
  return use === 'video' ? 'yunet' : 'haar';
}

/** The detector chosen by `detector.type` for `use`. */
export async function createDetector(config: Config, resolve: ResolveOptions, use: DetectorUse = 'photo'): Promise<FaceDetector> {
  if (detectorTypeFor(config, use) === 'yunet') {
    const { YuNetDetector } = await import('./yunet.js');
    return YuNetDetector.load(config['yunet.model'], config['yunet.input_size'], resolve);
  }
  return HaarDetector.load(config['haar.cascade']);
}
