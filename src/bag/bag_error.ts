import { FaceClassificationError } from '../errors.js';

/** A bag (folder or storage file) that cannot be read, or an output bag that cannot be written. */
export class BagError extends FaceClassificationError {
  constructor(readonly bag: string, readonly reason: string, options?: { cause?: unknown }) {
    super(`bag ${bag}: ${reason}`, options);
  }
}
