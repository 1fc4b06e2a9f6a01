/**
 * Per-stage wall and CPU time of one frame. CPU is the process's (all threads: OpenCV's pool, the
 * libuv pool running a background scan, the inference runtime's threads), read at stage
 * boundaries, so what a stage costs the robot's computer is visible beside how long it took.
 */
export const STAGES = ['convert', 'detect', 'crop', 'emotion', 'gender', 'heads'] as const;
export type Stage = (typeof STAGES)[number];

export interface StageTimings {
  convertMs: number;
  detectMs: number;
  cropMs: number;
  /** One head's inference, when the engine runs the heads one call each (tfjs). */
  emotionMs: number;
  genderMs: number;
  /** Both heads' inference in one call, when the engine combines them (onnxruntime); then emotionMs and genderMs are 0. */
  headsMs: number;
  totalMs: number;
  /** Process CPU milliseconds spent during each stage and the whole frame. */
  cpuMs: Record<Stage | 'total', number>;
}

const cpuNow = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

export class StageClock {
  readonly timings: StageTimings = {
    convertMs: 0, detectMs: 0, cropMs: 0, emotionMs: 0, genderMs: 0, headsMs: 0, totalMs: 0,
    cpuMs: { convert: 0, detect: 0, crop: 0, emotion: 0, gender: 0, heads: 0, total: 0 },
  };
  private readonly startWall = performance.now();
  private readonly startCpu = cpuNow();
  private wall = this.startWall;
  private cpu = this.startCpu;

  /** Charge the time since the last lap to `stage` (stages may be charged more than once). */
  lap(stage: Stage): void {
    const wall = performance.now();
    const cpu = cpuNow();
    this.timings[`${stage}Ms`] += wall - this.wall;
    this.timings.cpuMs[stage] += cpu - this.cpu;
    this.wall = wall;
    this.cpu = cpu;
  }

  /** Restart the lap without charging anything (time spent outside the pipeline's stages). */
  skip(): void {
    this.wall = performance.now();
    this.cpu = cpuNow();
  }

  finish(): StageTimings {
    this.timings.totalMs = performance.now() - this.startWall;
    this.timings.cpuMs.total = cpuNow() - this.startCpu;
    return this.timings;
  }
}

export function roundTimings(t: StageTimings): StageTimings {
  const r = (v: number): number => Math.round(v * 100) / 100;
  const cpuMs = Object.fromEntries(Object.entries(t.cpuMs).map(([k, v]) => [k, r(v)])) as StageTimings['cpuMs'];
  return { convertMs: r(t.convertMs), detectMs: r(t.detectMs), cropMs: r(t.cropMs), emotionMs: r(t.emotionMs), genderMs: r(t.genderMs), headsMs: r(t.headsMs), totalMs: r(t.totalMs), cpuMs };
}
