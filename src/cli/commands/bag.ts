import fs from 'node:fs';
import path from 'node:path';
import type { CliContext, Command } from '../command.js';
import { UsageError } from '../command.js';
import { PIPELINE_HELP, PIPELINE_OPTIONS, configFromFlags } from '../common.js';
import { ensureWritableFile, sameFile } from '../output_paths.js';
import { ProgressBar } from '../progress.js';
import { frameJson } from './results.js';
import { bagFiles, openBag } from '../../bag/open_bag.js';
import { planTopics } from '../../bag/topic_plan.js';
import { McapBagWriter } from '../../bag/mcap_writer.js';
import { runBag, type BagSummary } from '../../bag/run_bag.js';

/** The default output: beside the input, `<name>_faces.mcap`. */
function defaultOut(input: string): string {
  const resolved = path.resolve(input);
  const base = path.basename(resolved).replace(/\.(mcap|db3)$/i, '');
  return path.join(path.dirname(resolved), `${base}_faces.mcap`);
}

/** --out must be a .mcap file name in a writable folder, and none of the input's files. */
function checkOut(out: string, input: string): void {
  if (!out.toLowerCase().endsWith('.mcap')) throw new UsageError(`--out ${out}: the output is an MCAP bag; give a name ending in .mcap`);
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw new UsageError(`--out ${out}: is a folder; give an .mcap file name`);
  const inputs = bagFiles(input);
  const clash = inputs.find((file) => sameFile(file, out) || path.resolve(file) === path.resolve(out));
  if (clash) throw new UsageError(`--out ${out}: is the input ${clash} itself; writing it would destroy the input`);
  ensureWritableFile('out', out);
}

function summaryLines(s: BagSummary): string[] {
  const lines = [`${s.files.join(', ')} -> ${s.out}: ${s.copiedMessages} messages copied, ${Math.round(s.wallMs)} ms${s.interrupted ? ' (interrupted)' : ''}`];
  for (const [topic, c] of Object.entries(s.cameras)) {
    const skipped = Object.entries(c.skipped).map(([reason, n]) => `${reason} ${n}`).join(', ');
    lines.push(`${topic} (${c.type}): ${c.frames} frames, ${c.faces} faces${skipped ? `, skipped: ${skipped}` : ''} -> ${c.outputs.faces}, ${c.outputs.detections}, ${c.outputs.genderDetections}, ${c.outputs.debugImage}`);
  }
  for (const [topic, t] of Object.entries(s.notProcessed)) lines.push(`${topic} (${t.type || 'no type'}): ${t.messages} messages copied, not processed`);
  return lines;
}

function reportDamage(summary: BagSummary, context: CliContext): void {
  for (const d of summary.damage) context.log.warn({ file: d.file, offset: d.offset, reason: d.reason }, `bag damaged: ${d.file} read up to byte ${d.offset}`);
}

export const bagCommand: Command = {
  name: 'bag',
  summary: 'run the video path over the image topics of a rosbag2 (MCAP or sqlite3, no ROS needed); write an MCAP with the results',
  usage: 'IN [--topic T]... [--out OUT.mcap] [--json] [options]',
  details: [
    'IN is a rosbag2 folder (with metadata.yaml) or one .mcap or .db3 file. Every sensor_msgs/msg/Image and',
    'CompressedImage topic (or each --topic) is one camera: its frames go in stamp order through detection, tracking,',
    'both heads and smoothing, as the node runs. OUT (default IN_faces.mcap beside the input) holds every input message and,',
    'per camera, <namespace>/face_classification_node/{faces, detections, detections/gender, debug_image}, each with the',
    'source image\'s header stamp and the recording time of its input; play it with `ros2 bag play -s mcap OUT.mcap`.',
    'With --json, one JSON line per frame {topic, frame, stamp, log_time_ns, width, height, faces, timings}, then {summary}.',
    'A damaged bag is read up to the damage (one warning naming the file and the byte offset; exit 1). OUT is written',
    'under a temporary name and renamed when complete. Ctrl-C stops after the current frame and completes OUT.',
  ].join('\n'),
  options: { ...PIPELINE_OPTIONS, topic: { type: 'string', multiple: true }, out: { type: 'string', short: 'o' }, json: { type: 'boolean' } },
  help: { ...PIPELINE_HELP, topic: 'image topic to process (repeatable; default: every Image and CompressedImage topic)', out: 'output bag (.mcap; default IN_faces.mcap beside the input)', json: 'one JSON line per frame on stdout, then the summary' },
  interruptible: true,
  async run(values, positionals, context) {
    if (positionals.length !== 1) throw new UsageError('give one bag: a rosbag2 folder, or an .mcap or .db3 file');
    const input = positionals[0]!;
    const out = (values['out'] as string | undefined) ?? defaultOut(input);
    checkOut(out, input);
    const config = configFromFlags(values);
    const reader = await openBag(input);
    let summary: BagSummary;
    try {
      const plan = planTopics(await reader.topics(), (values['topic'] as string[] | undefined) ?? []);
      if ('problem' in plan) throw new UsageError(plan.problem);
      const writer = await McapBagWriter.create(out);
      let bar: ProgressBar | undefined;
      try {
        summary = await runBag({
          reader,
          writer,
          images: plan.images,
          config,
          log: context.log,
          interrupted: context.interrupted,
          onProgress: (done, total) => {
            bar ??= new ProgressBar(total);
            bar.update(done);
          },
          ...(values['json']
            ? { onFrame: (f) => context.emit({ topic: f.topic, frame: f.index, stamp: f.header.stamp, log_time_ns: f.logTime.toString(), ...frameJson(f.pipeline, f.result) }) }
            : {}),
        });
        bar?.finish(Object.values(summary.cameras).reduce((n, c) => n + c.frames + Object.values(c.skipped).reduce((a, b) => a + b, 0), 0));
      } catch (error) {
        await writer.abort();
        throw error;
      }
      await writer.finish();
    } finally {
      await reader.close();
    }
    reportDamage(summary, context);
    if (values['json']) context.emit({ summary });
    else for (const line of summaryLines(summary)) process.stdout.write(`${line}\n`);
    context.log.info({ out, frames: Object.values(summary.cameras).reduce((n, c) => n + c.frames, 0), damaged: summary.damage.length }, 'bag done');
    return summary.damage.length > 0 ? 1 : 0;
  },
};
