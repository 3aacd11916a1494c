/**
 * Word overlap between consecutive windows: each window is a bag of its content words (no
 * stopwords, 3+ letters), weighted by TF-IDF over the windows (tf = count in the window,
 * idf = ln((1 + N) / (1 + df)) + 1, N windows, df windows with the word), and the overlap of a
 * window is cosine(previous window, this window): 1 = the same words in the same proportions,
 * 0 = no content word in common. An empty window on either side: null.
 *
 * It measures vocabulary, not topic: two windows on one topic in different words overlap little
 * (short windows of a debate typically score 0.05-0.2), so it is never called "topic drift".
 * A window keeps its TOP_TERMS most frequent words, so memory stays bounded.
 */

export const TOP_TERMS = 256;

export type Terms = Map<number, number>;

/** the `top` most frequent terms (ties: the smaller id) */
export function topTerms(terms: Terms, top = TOP_TERMS): Terms {
  if (terms.size <= top) return terms;
  const sorted = [...terms.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return new Map(sorted.slice(0, top));
}

export function overlapSeries(windows: readonly Terms[]): Array<number | null> {
  const n = windows.length;
  const df = new Map<number, number>();
  for (const w of windows) for (const t of w.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  const idf = (t: number): number => Math.log((1 + n) / (1 + (df.get(t) ?? 0))) + 1;
  const norms = windows.map((w) => {
    let s = 0;
    for (const [t, c] of w) s += (c * idf(t)) ** 2;
    return Math.sqrt(s);
  });
  return windows.map((w, i) => {
    if (i === 0) return null;
    const prev = windows[i - 1] as Terms;
    const na = norms[i - 1] as number;
    const nb = norms[i] as number;
    if (na === 0 || nb === 0) return null;
    let dot = 0;
    const [small, large] = prev.size <= w.size ? [prev, w] : [w, prev];
    for (const [t, c] of small) {
      const d = large.get(t);
      if (d !== undefined) dot += c * d * idf(t) ** 2;
    }
    return dot / (na * nb);
  });
}
