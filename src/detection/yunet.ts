import { ModelFileError } from '../errors.js';
import type { ResolveOptions } from '../models/resolve.js';
import type { FaceDetector } from './detector.js';

/** Placeholder until the YuNet decoder lands. */
export const YuNetDetector = {
  async load(model: string, _inputSize: number, _resolve: ResolveOptions): Promise<FaceDetector> {
    throw new ModelFileError(model, 'the YuNet detector is not implemented yet');
  },
};
