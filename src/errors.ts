/**
 * Errors the user can act on. Each names the thing that is wrong (a file, a config key, a layer)
 * and why, in one line, so the CLI and the ROS node can print them without a stack trace.
 */
export class FaceClassificationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A model file that is missing, unreadable, corrupt, of the wrong digest or of an unsupported architecture. */
export class ModelFileError extends FaceClassificationError {
  constructor(readonly file: string, readonly reason: string, options?: { cause?: unknown }) {
    super(`model file ${file}: ${reason}`, options);
  }
}

/** An image (file or frame) that cannot be used. */
export class ImageError extends FaceClassificationError {
  constructor(readonly source: string, readonly reason: string, options?: { cause?: unknown }) {
    super(`image ${source}: ${reason}`, options);
  }
}

/** A configuration value that fails validation; `key` is the dotted path of the setting. */
export class ConfigError extends FaceClassificationError {
  constructor(readonly key: string, readonly reason: string) {
    super(`config ${key}: ${reason}`);
  }
}

/** A video source or sink that cannot be opened or read. */
export class VideoError extends FaceClassificationError {
  constructor(readonly source: string, readonly reason: string) {
    super(`video ${source}: ${reason}`);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
