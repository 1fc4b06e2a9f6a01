import fs from 'node:fs';
import path from 'node:path';
import type { Command } from '../command.js';
import { PIPELINE_HELP, PIPELINE_OPTIONS, configFromFlags, expandImageInputs } from '../common.js';
import { FacePipeline } from '../../pipeline/pipeline.js';
import { readColor, writeImage } from '../../vision/image.js';
import { annotate } from '../../vision/draw.js';
import { frameJson } from './results.js';

/** Where the annotated copy of `file` goes: same name, PNG, in `outDir`. */
export function annotatedPath(outDir: string, file: string): string {
  return path.join(outDir, `${path.basename(file, path.extname(file))}.annotated.png`);
}

export const detectCommand: Command = {
  name: 'detect',
  summary: 'find faces in photos, classify emotion and gender, write annotated images',
  usage: '[options] IMAGE|FOLDER...',
  details: 'Prints one JSON line per image: {file, width, height, faces: [{id, box: {x,y,width,height}, score, emotion, gender}], timings}.\nWith --out DIR, writes DIR/<name>.annotated.png with boxes coloured by emotion.',
  options: { ...PIPELINE_OPTIONS, 'out': { type: 'string', short: 'o' }, 'json': { type: 'boolean' } },
  help: { ...PIPELINE_HELP, out: 'folder for annotated images', json: 'JSON lines on stdout (always printed; accepted for scripts that pass it)' },
  async run(values, positionals, context) {
    const config = configFromFlags(values);
    const files = expandImageInputs(positionals);
    const outDir = values['out'] as string | undefined;
    if (outDir) fs.mkdirSync(outDir, { recursive: true });
    const pipeline = await FacePipeline.create(config, { log: context.log });
    try {
      for (const file of files) {
        if (context.interrupted.value) break;
        try {
          const frame = readColor(file);
          const result = pipeline.process(frame);
          const line: Record<string, unknown> = { file, ...frameJson(pipeline, result) };
          if (outDir) {
            const target = annotatedPath(outDir, file);
            writeImage(target, annotate(frame, result.faces));
            line['annotated'] = target;
          }
          context.emit(line);
          context.log.info({ file, faces: result.faces.length, ms: Math.round(result.timings.totalMs) }, 'image processed');
        } catch (error) {
          context.reportError(error);
        }
      }
    } finally {
      pipeline.dispose();
    }
    return 0;
  },
};
