import type { Config } from '../config/schema.js';
import type { ResolveOptions } from '../models/resolve.js';
import type { FaceDetector } from './detector.js';
import { HaarDetector } from './haar.js';

/** The detector chosen by `detector.type`. */
export async function createDetector(config: Config, resolve: ResolveOptions): Promise<FaceDetector> {
  if (config['detector.type'] === 'yunet') {
    const { YuNetDetector } = await import('./yunet.js');
    return YuNetDetector.load(config['yunet.model'], config['yunet.input_size'], resolve);
  }
  return HaarDetector.load(config['haar.cascade']);
}
