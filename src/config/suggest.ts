/**
 * "Did you mean" for a mistyped setting name: the same name with `_`/`-` for `.` or other case, a
 * name a couple of edits away, or one with the same last part (`scale_factor` -> `haar.scale_factor`).
 */

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

const normal = (key: string): string => key.toLowerCase().replace(/[_\-/]/g, '.');

/** The known key `key` was most likely meant to be, if any is close enough. */
export function suggestKey(key: string, keys: readonly string[]): string | undefined {
  const wanted = normal(key);
  const same = keys.find((k) => normal(k) === wanted || normal(k).replace(/\./g, '') === wanted.replace(/\./g, ''));
  if (same) return same;
  const limit = Math.max(1, Math.min(3, Math.floor(key.length / 5)));
  let best: { key: string; d: number } | undefined;
  for (const k of keys) {
    const d = distance(normal(k), wanted);
    if (d <= limit && (!best || d < best.d)) best = { key: k, d };
  }
  if (best) return best.key;
  const tail = key.split('.').pop()!;
  return keys.find((k) => k.endsWith(`.${tail}`) || k === tail);
}
