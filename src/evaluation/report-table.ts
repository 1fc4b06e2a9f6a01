import type { EvaluationReport } from './evaluate.js';

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

/** The report as plain text: the headline, per-class precision / recall / F1, the confusion matrix. */
export function reportTable(report: EvaluationReport, dataset: string): string {
  const labels = report.labels;
  const first = Math.max(10, ...labels.map((l) => l.length + 2));
  const lines: string[] = [];
  lines.push(`${report.model} on ${dataset}: accuracy ${pct(report.accuracy)} (${report.samples} samples${report.unreadable.length ? `, ${report.unreadable.length} unreadable` : ''}), macro F1 ${report.macroF1.toFixed(4)}`);
  lines.push('');
  lines.push(`${'class'.padEnd(first)}${'precision'.padStart(10)}${'recall'.padStart(10)}${'f1'.padStart(10)}${'support'.padStart(10)}`);
  for (const label of labels) {
    const s = report.perClass[label]!;
    lines.push(`${label.padEnd(first)}${s.precision.toFixed(4).padStart(10)}${s.recall.toFixed(4).padStart(10)}${s.f1.toFixed(4).padStart(10)}${String(s.total).padStart(10)}`);
  }
  lines.push('');
  lines.push('confusion matrix (rows: true class, columns: predicted class)');
  const width = Math.max(8, ...labels.map((l) => l.length + 2));
  lines.push(' '.repeat(first) + labels.map((l) => l.padStart(width)).join(''));
  for (const truth of labels) lines.push(truth.padEnd(first) + labels.map((p) => String(report.confusion[truth]![p]).padStart(width)).join(''));
  return lines.join('\n');
}
