// Writes config/face_classification.yaml from the schemas (run after `npm run build`).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderParamsFile } from '../dist/src/config/params_file.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
fs.writeFileSync(path.join(root, 'config', 'face_classification.yaml'), renderParamsFile());
console.log('wrote config/face_classification.yaml');
