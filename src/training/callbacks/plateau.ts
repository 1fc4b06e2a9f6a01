/**
 * Keras 2.0.5's ReduceLROnPlateau and EarlyStopping on a monitored loss (lower is better), with
 * their exact counting, so `patience` means what it means in the authors' training script
 * (patience 50 for stopping, 50/4 = 12 for the learning rate, factor 0.1).
 */

export interface ReduceLrState {
  best: number;
  wait: number;
  cooldown: number;
}

export interface ReduceLrOptions {
  factor: number;
  patience: number;
  /** An improvement must exceed this (Keras 2.0.5's `epsilon`, 1e-4). */
  minDelta: number;
  cooldown: number;
  minLr: number;
}

export const PAPER_REDUCE_LR: ReduceLrOptions = { factor: 0.1, patience: 12, minDelta: 1e-4, cooldown: 0, minLr: 0 };

export class ReduceLrOnPlateau {
  state: ReduceLrState = { best: Infinity, wait: 0, cooldown: 0 };

  constructor(readonly options: ReduceLrOptions = PAPER_REDUCE_LR) {}

  /** The learning rate for the next epoch. */
  update(current: number, lr: number): number {
    const s = this.state;
    if (s.cooldown > 0) {
      s.cooldown--;
      s.wait = 0;
    }
    if (current < s.best - this.options.minDelta) {
      s.best = current;
      s.wait = 0;
      return lr;
    }
    if (s.cooldown > 0) return lr;
    let next = lr;
    if (s.wait >= this.options.patience && lr > this.options.minLr + 1e-4 * this.options.minLr) {
      next = Math.max(lr * this.options.factor, this.options.minLr);
      s.cooldown = this.options.cooldown;
      s.wait = 0;
    }
    s.wait++;
    return next;
  }
}

export interface EarlyStoppingState {
  best: number;
  wait: number;
}

export class EarlyStopping {
  state: EarlyStoppingState = { best: Infinity, wait: 0 };

  constructor(readonly patience: number, readonly minDelta = 0) {}

  /** True once `update` has said stop (its count then passes the patience); a larger patience lifts it. */
  get stopped(): boolean {
    return this.state.wait > this.patience;
  }

  /** True when training should stop after this epoch. */
  update(current: number): boolean {
    const s = this.state;
    if (current - this.minDelta < s.best) {
      s.best = current;
      s.wait = 0;
      return false;
    }
    const stop = s.wait >= this.patience;
    s.wait++;
    return stop;
  }
}
