// "Did you mean ...?" for misspelt names: option names, hook names, fd substitute keywords.

/** Levenshtein distance between `a` and `b`. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}

/**
 * The candidate nearest to `word` (case-insensitively), if it is within `maxDistance` edits:
 * beyond that a suggestion is more confusing than none.
 */
export function closest(word: string, candidates: Iterable<string>, maxDistance = 3): string | undefined {
  const best = [...candidates]
    .map((candidate) => ({ candidate, d: editDistance(word.toLowerCase(), candidate.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  return best && best.d <= maxDistance ? best.candidate : undefined;
}

/** `" Did you mean 'x'?"` for the nearest candidate, or `''` when none is near. */
export function didYouMean(word: string, candidates: Iterable<string>, maxDistance?: number): string {
  const best = closest(word, candidates, maxDistance);
  return best === undefined ? '' : ` Did you mean '${best}'?`;
}
