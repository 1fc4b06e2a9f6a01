/**
 * Rates and latencies of the node -> diagnostic_msgs/DiagnosticStatus with OK/WARN/ERROR levels.
 * Pure: the node feeds events with their times and asks for a status once per second; tests feed
 * synthetic times.
 */
import type { StageTimings } from '../../pipeline/pipeline.js';
import { SKIP_REASONS, emptyReasonCounts, type SkipReason } from '../intake/frame_errors.js';

/** diagnostic_msgs/DiagnosticStatus levels. */
export const DiagnosticLevel = { OK: 0, WARN: 1, ERROR: 2, STALE: 3 } as const;
export type DiagnosticLevelValue = (typeof DiagnosticLevel)[keyof typeof DiagnosticLevel];

export interface KeyValueMsg {
  key: string;
  value: string;
}

export interface DiagnosticStatusMsg {
  level: DiagnosticLevelValue;
  name: string;
  message: string;
  hardware_id: string;
  values: KeyValueMsg[];
}

export interface DiagnosticThresholds {
  latencyWarnMs: number;
  latencyErrorMs: number;
  dropRatioWarn: number;
  /** 0: never warn about missing input. */
  inputTimeoutS: number;
}

/** Per-stage times of one output frame, milliseconds. */
export interface FrameTimes extends Omit<StageTimings, 'cpuMs'> {
  /** Message -> Mat (decoding included). */
  convertMs: number;
  /** Arrival at the node -> publish. */
  latencyMs: number;
}

const STAGES = ['convertMs', 'detectMs', 'cropMs', 'headsMs', 'emotionMs', 'genderMs', 'totalMs', 'latencyMs'] as const;
type Stage = (typeof STAGES)[number];

/** What happened during one window (normally one second). */
export interface WindowStats {
  seconds: number;
  inputs: number;
  outputs: number;
  drops: number;
  errors: number;
  lastError: string | undefined;
  /** Mean milliseconds per stage over the window's outputs (0 without outputs). */
  meanMs: Record<Stage, number>;
  maxLatencyMs: number;
  /** Seconds since the last input frame (since start when none came yet). */
  inputAgeS: number;
  totals: { inputs: number; outputs: number; drops: number; errors: number };
  /** Frames skipped since start, per reason (every reason present). */
  skippedByReason: Record<SkipReason, number>;
}

/** Counts events between two snapshots; times in milliseconds (performance.now or synthetic). */
export class FrameStats {
  private windowStart: number;
  private lastInput: number;
  private inputs = 0;
  private outputs = 0;
  private drops = 0;
  private errors = 0;
  private lastError: string | undefined;
  private sums: Record<Stage, number> = { convertMs: 0, detectMs: 0, cropMs: 0, headsMs: 0, emotionMs: 0, genderMs: 0, totalMs: 0, latencyMs: 0 };
  private maxLatency = 0;
  readonly totals = { inputs: 0, outputs: 0, drops: 0, errors: 0 };
  readonly skippedByReason = emptyReasonCounts();

  constructor(now: number) {
    this.windowStart = now;
    this.lastInput = now;
  }

  input(now: number): void {
    this.inputs++;
    this.totals.inputs++;
    this.lastInput = now;
  }

  drop(count = 1): void {
    this.drops += count;
    this.totals.drops += count;
  }

  /** A frame not answered, for `reason`; `detail` is the text shown in the status message. */
  skip(reason: SkipReason, detail: string): void {
    this.errors++;
    this.totals.errors++;
    this.skippedByReason[reason]++;
    this.lastError = detail;
  }

  /** Input is expected from `now` on (a lifecycle node just activated): the no-input clock starts here. */
  expectInput(now: number): void {
    this.lastInput = now;
  }

  output(times: FrameTimes): void {
    this.outputs++;
    this.totals.outputs++;
    for (const stage of STAGES) this.sums[stage] += times[stage];
    this.maxLatency = Math.max(this.maxLatency, times.latencyMs);
  }

  /** The window since the previous snapshot; starts a new one. */
  snapshot(now: number): WindowStats {
    const seconds = Math.max(1e-3, (now - this.windowStart) / 1000);
    const meanMs = {} as Record<Stage, number>;
    for (const stage of STAGES) meanMs[stage] = this.outputs ? this.sums[stage] / this.outputs : 0;
    const stats: WindowStats = {
      seconds,
      inputs: this.inputs,
      outputs: this.outputs,
      drops: this.drops,
      errors: this.errors,
      lastError: this.lastError,
      meanMs,
      maxLatencyMs: this.maxLatency,
      inputAgeS: (now - this.lastInput) / 1000,
      totals: { ...this.totals },
      skippedByReason: { ...this.skippedByReason },
    };
    this.windowStart = now;
    this.inputs = this.outputs = this.drops = this.errors = 0;
    this.lastError = undefined;
    for (const stage of STAGES) this.sums[stage] = 0;
    this.maxLatency = 0;
    return stats;
  }
}

export interface StatusContext {
  name: string;
  hardwareId: string;
  /** False while a lifecycle node is not active: no input is expected then. */
  active: boolean;
  /** Why the node cannot work (a failed lifecycle configure): ERROR with this text while not active. */
  failure?: string;
  /** A finalized lifecycle node: STALE, it will not process frames again. */
  finalized?: boolean;
  backend: string;
  /** What runs the heads (the inference engine's label, e.g. onnxruntime-1.30.0-cpu-1t). */
  inference?: string;
  models: Record<string, string>;
  inputTopic: string;
}

const fixed = (n: number, digits = 1): string => n.toFixed(digits);

/** One window -> DiagnosticStatus; the message lists every reason for a WARN or ERROR. */
export function diagnosticStatus(stats: WindowStats, thresholds: DiagnosticThresholds, context: StatusContext): DiagnosticStatusMsg {
  let level: DiagnosticLevelValue = DiagnosticLevel.OK;
  const reasons: string[] = [];
  const raise = (to: DiagnosticLevelValue, reason: string): void => {
    if (to > level) level = to;
    reasons.push(reason);
  };
  const latency = stats.meanMs.latencyMs;
  if (context.active) {
    if (stats.outputs > 0 && thresholds.latencyErrorMs > 0 && latency > thresholds.latencyErrorMs) raise(DiagnosticLevel.ERROR, `latency ${fixed(latency)} ms > ${thresholds.latencyErrorMs} ms`);
    else if (stats.outputs > 0 && thresholds.latencyWarnMs > 0 && latency > thresholds.latencyWarnMs) raise(DiagnosticLevel.WARN, `latency ${fixed(latency)} ms > ${thresholds.latencyWarnMs} ms`);
    if (stats.errors > 0 && stats.outputs === 0) raise(DiagnosticLevel.ERROR, `all ${stats.errors} frames failed: ${stats.lastError ?? 'unknown error'}`);
    else if (stats.errors > 0) raise(DiagnosticLevel.WARN, `${stats.errors} frames skipped: ${stats.lastError ?? 'unknown error'}`);
    const dropRatio = stats.inputs > 0 ? stats.drops / stats.inputs : 0;
    if (stats.drops > 0 && dropRatio > thresholds.dropRatioWarn) raise(DiagnosticLevel.WARN, `${stats.drops} of ${stats.inputs} frames dropped (processing slower than input)`);
    if (thresholds.inputTimeoutS > 0 && stats.inputAgeS > thresholds.inputTimeoutS) raise(DiagnosticLevel.WARN, `no input on ${context.inputTopic} for ${fixed(stats.inputAgeS)} s`);
  } else if (context.finalized) {
    raise(DiagnosticLevel.STALE, 'finalized: the node no longer processes frames');
  } else if (context.failure) {
    raise(DiagnosticLevel.ERROR, context.failure);
  }
  const message = reasons.length ? reasons.join('; ') : context.active ? 'ok' : 'not active';
  const values: KeyValueMsg[] = [
    { key: 'input_topic', value: context.inputTopic },
    { key: 'input_rate_hz', value: fixed(stats.inputs / stats.seconds, 2) },
    { key: 'output_rate_hz', value: fixed(stats.outputs / stats.seconds, 2) },
    { key: 'dropped_in_window', value: String(stats.drops) },
    { key: 'skipped_in_window', value: String(stats.errors) },
    { key: 'latency_mean_ms', value: fixed(latency, 2) },
    { key: 'latency_max_ms', value: fixed(stats.maxLatencyMs, 2) },
    { key: 'convert_ms', value: fixed(stats.meanMs.convertMs, 2) },
    { key: 'detect_ms', value: fixed(stats.meanMs.detectMs, 2) },
    { key: 'crop_ms', value: fixed(stats.meanMs.cropMs, 2) },
    // With a combined engine (onnxruntime) both heads run in one call, timed as heads_ms.
    { key: 'heads_ms', value: fixed(stats.meanMs.headsMs, 2) },
    { key: 'emotion_ms', value: fixed(stats.meanMs.emotionMs, 2) },
    { key: 'gender_ms', value: fixed(stats.meanMs.genderMs, 2) },
    { key: 'pipeline_ms', value: fixed(stats.meanMs.totalMs, 2) },
    { key: 'seconds_since_last_image', value: fixed(stats.inputAgeS, 2) },
    { key: 'total_received', value: String(stats.totals.inputs) },
    { key: 'total_published', value: String(stats.totals.outputs) },
    { key: 'total_dropped', value: String(stats.totals.drops) },
    { key: 'total_skipped', value: String(stats.totals.errors) },
    ...SKIP_REASONS.map((reason) => ({ key: `skipped.${reason}`, value: String(stats.skippedByReason[reason]) })),
    { key: 'backend', value: context.backend },
    ...(context.inference ? [{ key: 'inference', value: context.inference }] : []),
    ...Object.entries(context.models).map(([key, value]) => ({ key: `model.${key}`, value })),
  ];
  return { level, name: context.name, message, hardware_id: context.hardwareId, values };
}

export function thresholdsFrom(settings: { 'diagnostics.latency_warn_ms': number; 'diagnostics.latency_error_ms': number; 'diagnostics.drop_ratio_warn': number; 'diagnostics.input_timeout_s': number }): DiagnosticThresholds {
  return {
    latencyWarnMs: settings['diagnostics.latency_warn_ms'],
    latencyErrorMs: settings['diagnostics.latency_error_ms'],
    dropRatioWarn: settings['diagnostics.drop_ratio_warn'],
    inputTimeoutS: settings['diagnostics.input_timeout_s'],
  };
}
