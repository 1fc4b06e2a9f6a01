/**
 * docs/settings.md is what scripts/settings_doc.ts renders from the schemas: regenerated in memory and
 * compared, so a setting added, removed or changed in the schemas without `npm run docs:settings`
 * fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SCHEMA } from '../../src/config/schema.js';
import { ROS_SCHEMA } from '../../src/config/ros_schema.js';
import { SCHEMA_PARTS, SETTINGS_DOC, renderSettingsDoc } from '../../scripts/settings_doc.js';
import { repoRoot } from '../helpers/common.js';

const committed = fs.readFileSync(path.join(repoRoot, SETTINGS_DOC), 'utf8');

test('the committed docs/settings.md is what the schemas render (else: npm run docs:settings)', () => {
  assert.ok(committed === renderSettingsDoc(), `${SETTINGS_DOC} is stale: run npm run docs:settings and commit it`);
});

test('every key of both schemas has exactly one row, with its default', () => {
  const keys = [...Object.keys(SCHEMA), ...Object.keys(ROS_SCHEMA)];
  assert.equal(keys.length, new Set(keys).size);
  for (const key of keys) {
    const rows = committed.split('\n').filter((line) => line.startsWith(`| \`${key}\` |`));
    assert.equal(rows.length, 1, key);
  }
  assert.match(committed, /\| `haar\.scale_factor` \| double \| `1\.3` \| 1\.01 to 3 \| yes \|/);
  assert.match(committed, /\| `yunet\.input_size` \| integer \| `640` \| 32 to 4096, in steps of 32 \| {2}\|/);
});

test('a changed default, a new setting or a description with a pipe change the page', () => {
  const [core, ros] = SCHEMA_PARTS;
  const changed = renderSettingsDoc([{ ...core!, schema: { ...SCHEMA, 'haar.scale_factor': { ...SCHEMA['haar.scale_factor'], default: 1.1 } } }, ros!]);
  assert.notEqual(changed, renderSettingsDoc());
  assert.match(changed, /\| `haar\.scale_factor` \| double \| `1\.1` \|/);
  const added = renderSettingsDoc([core!, { ...ros!, schema: { ...ROS_SCHEMA, 'extra.flag': { type: 'bool', default: false, description: 'a | b <c>' } } }]);
  assert.match(added, /### extra\n\n.*\n.*\n\| `extra\.flag` \| bool \| `false` \| `true`, `false` \| {2}\| a \\\| b &lt;c&gt; \|/);
});
