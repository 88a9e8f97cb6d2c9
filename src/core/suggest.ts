/** @module "Did you mean": the closest known word to a mistyped one, for errors that name the fix. */

/**
 * The candidate nearest to `word` (case ignored) when it is near enough to be a typo: by default at most two
 * edits, or a third of the word for longer ones; undefined when none is that close.
 */
export function closest(
  word: string,
  candidates: Iterable<string>,
  maxDistance = Math.max(2, Math.floor(word.length / 3)),
): string | undefined {
  const lower = word.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const distance = c === lower ? 0 : editDistance(lower, c);
    if (distance <= maxDistance && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** `did you mean "x"?`, or the list of what is accepted when nothing is close. */
export function suggestion(word: string, candidates: readonly string[]): string {
  const guess = closest(word, candidates);
  return guess ? `did you mean "${guess}"?` : `use one of: ${candidates.join(', ')}`;
}

/** Levenshtein distance, two rows at a time. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}
