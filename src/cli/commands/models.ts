import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { MODEL_OPTIONS, PIPELINE_HELP, configFromFlags } from '../common.js';
import { listManifests } from '../../models/manifest.js';
import { resolveModel } from '../../models/resolve.js';
import { errorMessage } from '../../errors.js';

export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the known models and where their files are found (--fetch downloads missing ones)',
  usage: '[--fetch] [--models-dir FOLDER] [options]',
  details: 'Prints one JSON line per model: id, task, labels, input, whether the settings select it, and the resolved path (sha256 checked) or the reason it is missing.\nTakes the same settings as the other commands (--config, --set, --models-dir); files are looked up as they would be for them.',
  options: { ...MODEL_OPTIONS, fetch: { type: 'boolean' }, dir: { type: 'string' } },
  help: { ...PIPELINE_HELP, fetch: 'download missing models from the authors\' repository into the user cache', dir: 'the same as --models-dir (older name)' },
  async run(values, positionals, context) {
    if (positionals.length > 0) throw new UsageError(`takes no arguments, got ${JSON.stringify(positionals[0])}`);
    if (values['dir'] !== undefined && values['models-dir'] !== undefined) throw new UsageError('give --models-dir or --dir, not both');
    const config = configFromFlags({ ...values, 'models-dir': values['models-dir'] ?? values['dir'] });
    // What these settings would load: an enabled head's model, YuNet's only with detector.type yunet.
    const selected = new Set<string>();
    if (config['emotion.enabled']) selected.add(config['emotion.model']);
    if (config['gender.enabled']) selected.add(config['gender.model']);
    if (config['detector.type'] === 'yunet') selected.add(config['yunet.model']);
    let status = 0;
    for (const manifest of listManifests()) {
      if (await context.shouldStop()) break;
      const line: Record<string, unknown> = { id: manifest.id, task: manifest.task, default: manifest.default ?? false, selected: selected.has(manifest.id), architecture: manifest.architecture, input: manifest.inputShape, labels: manifest.labels };
      // A dual model (task emotion+gender): each head's classes, and the setting that can name it.
      if (manifest.heads) line['heads'] = manifest.heads.map((h) => ({ task: h.task, output: h.output, labels: h.labels, setting: `${h.task}.model` }));
      try {
        const resolved = await resolveModel(manifest.id, { directory: config['models.directory'] || undefined, download: values['fetch'] === true, log: context.log });
        line['path'] = resolved.path;
        line['source'] = resolved.source;
      } catch (error) {
        line['missing'] = errorMessage(error);
        if (manifest.default) status = 1;
      }
      context.emit(line);
    }
    return status;
  },
};
