import type { Command } from '../command.js';
import { listManifests } from '../../models/manifest.js';
import { resolveModel } from '../../models/resolve.js';
import { errorMessage } from '../../errors.js';

export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the known models and where their files are found (--fetch downloads missing ones)',
  usage: '[--fetch] [--dir FOLDER]',
  details: 'Prints one JSON line per model: id, task, labels, input, and the resolved path (sha256 checked) or the reason it is missing.',
  options: { fetch: { type: 'boolean' }, dir: { type: 'string' } },
  help: { fetch: 'download missing models from the authors\' repository into the user cache', dir: 'folder searched first for model files' },
  async run(values, _positionals, context) {
    let status = 0;
    for (const manifest of listManifests()) {
      const line: Record<string, unknown> = { id: manifest.id, task: manifest.task, default: manifest.default ?? false, architecture: manifest.architecture, input: manifest.inputShape, labels: manifest.labels };
      try {
        const resolved = await resolveModel(manifest.id, { directory: values['dir'] as string | undefined, download: values['fetch'] === true, log: context.log });
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
