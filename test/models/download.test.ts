/**
 * Model downloads (issue 10): https only, the manifest's sha256 checked before the file appears,
 * written atomically. No network here: the "server" is an injected fetch serving the real weights
 * from ../shared in slow chunks, so a reader can look at the target while the download runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { downloadModel, type FetchFunction } from '../../src/models/resolve.js';
import { findManifest, type ModelManifest } from '../../src/models/manifest.js';
import { ModelFileError } from '../../src/errors.js';
import { scratchDir, sharedModels } from '../helpers/common.js';

const dir = scratchDir('download');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

const manifest = findManifest('gender_mini_XCEPTION.21-0.95')!;
const weights = fs.readFileSync(path.join(sharedModels, manifest.file));

/** A fetch answering with `bytes` in chunks, calling `during` between chunks; records the URLs asked for. */
function server(bytes: Buffer, during: () => void = () => undefined): { fetch: FetchFunction; urls: string[] } {
  const urls: string[] = [];
  const fetch: FetchFunction = async (url) => {
    urls.push(url);
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.subarray(at, at + 64 * 1024));
        at += 64 * 1024;
        await new Promise((resolve) => setTimeout(resolve, 1));
        during();
      },
    });
    return new Response(body, { status: 200 });
  };
  return { fetch, urls };
}

const entries = (folder: string): string[] => (fs.existsSync(folder) ? fs.readdirSync(folder) : []);

test('a download appears only whole and checked: never partial at the target, no temp file left', async () => {
  const folder = path.join(dir, 'ok');
  const target = path.join(folder, manifest.file);
  const seen: boolean[] = [];
  const { fetch, urls } = server(weights, () => seen.push(fs.existsSync(target)));
  await downloadModel(manifest, target, { fetch });
  assert.deepEqual(urls, [manifest.url]);
  assert.ok(seen.length > 5, 'looked during the download');
  assert.ok(seen.every((exists) => !exists), 'the target never existed before the download was complete and checked');
  assert.ok(fs.readFileSync(target).equals(weights));
  assert.deepEqual(entries(folder), [manifest.file], 'no temporary file left');
});

test('a sha256 mismatch keeps nothing; http:// and a manifest without a digest are refused before fetching', async () => {
  const folder = path.join(dir, 'bad');
  const target = path.join(folder, manifest.file);
  const damaged = Buffer.from(weights);
  damaged[1000] = damaged[1000]! ^ 1;
  await assert.rejects(downloadModel(manifest, target, { fetch: server(damaged).fetch }), (e: unknown) => e instanceof ModelFileError && /sha256 mismatch: expected 7affc7bd.* the file was not kept/.test(e.message));
  assert.deepEqual(entries(folder), [], 'neither the target nor a temporary file');
  const cases: [ModelManifest, RegExp][] = [
    [{ ...manifest, url: manifest.url.replace('https:', 'http:') }, /is not https; only https downloads are made/],
    [{ ...manifest, url: 'file:///work/shared/models/x.hdf5' }, /is not https/],
    [{ ...manifest, sha256: '' }, /has no sha256 in its manifest/],
  ];
  for (const [bad, reason] of cases) {
    const { fetch, urls } = server(weights);
    await assert.rejects(downloadModel(bad, target, { fetch }), reason);
    assert.deepEqual(urls, [], 'nothing fetched');
  }
  const redirected: FetchFunction = async () => {
    const response = new Response(weights, { status: 200 });
    Object.defineProperty(response, 'url', { value: 'http://mirror.example/x.hdf5' });
    return response;
  };
  await assert.rejects(downloadModel(manifest, target, { fetch: redirected }), /redirected to http:\/\/mirror\.example\/x\.hdf5, which is not https/);
  assert.deepEqual(entries(folder), []);
});
