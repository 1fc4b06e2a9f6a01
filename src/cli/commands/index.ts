import type { Command } from '../command.js';
import { classifyCommand } from './classify.js';
import { detectCommand } from './detect.js';
import { evaluateCommand } from './evaluate.js';
import { modelsCommand } from './models.js';
import { videoCommand } from './video.js';
import { benchCommand } from './bench.js';
import { explainCommand } from './explain.js';
import { trainCommand } from './train.js';
import { exportCommand } from './export.js';
import { bagCommand } from './bag.js';

/** Every sub-command, in the order --help lists them. */
export const COMMANDS: Command[] = [detectCommand, videoCommand, bagCommand, classifyCommand, explainCommand, evaluateCommand, trainCommand, benchCommand, exportCommand, modelsCommand];
