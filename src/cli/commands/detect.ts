import type { Command } from '../command.js';
import { PIPELINE_HELP, PIPELINE_OPTIONS, configFromFlags, expandImageInputs, imageOptions } from '../common.js';
import { OutputNames, ensureFolder } from '../output_paths.js';
import { FacePipeline } from '../../pipeline/pipeline.js';
import { readColor, writeImage } from '../../vision/image.js';
import { annotate } from '../../vision/draw.js';
import { frameJson } from './results.js';

export const detectCommand: Command = {
  name: 'detect',
  summary: 'find faces in photos, classify emotion and gender, write annotated images',
  usage: '[options] IMAGE|FOLDER...',
  details: 'Prints one JSON line per image: {file, width, height, faces: [{id, box: {x,y,width,height}, score, emotion, gender}], timings}.\nWith --out DIR, writes DIR/<name>.annotated.png with boxes coloured by emotion; images from a FOLDER keep their\nsub-folder under DIR, and an input whose name another already took keeps its extension (gray.jpg.annotated.png).',
  options: { ...PIPELINE_OPTIONS, 'out': { type: 'string', short: 'o' }, 'json': { type: 'boolean' } },
  help: { ...PIPELINE_HELP, out: 'folder for annotated images', json: 'JSON lines on stdout (always printed; accepted for scripts that pass it)' },
  interruptible: true,
  async run(values, positionals, context) {
    const config = configFromFlags(values);
    const outDir = values['out'] as string | undefined;
    if (outDir) ensureFolder('out', outDir);
    const files = expandImageInputs(positionals, (error) => context.reportError(error));
    if (files.length === 0) return 1;
    const names = outDir ? new OutputNames(outDir) : undefined;
    const pipeline = await FacePipeline.create(config, { log: context.log, uses: ['photo'] });
    try {
      for (const { file, relative } of files) {
        if (await context.shouldStop()) break;
        try {
          const frame = readColor(file, imageOptions(config));
          const result = pipeline.process(frame);
          const line: Record<string, unknown> = { file, ...frameJson(pipeline, result) };
          if (names) {
            const target = `${names.base(relative)}.annotated.png`;
            const annotated = annotate(frame, result.faces);
            writeImage(target, annotated);
            annotated.release();
            line['annotated'] = target;
          }
          result.prepared.release();
          frame.release();
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
