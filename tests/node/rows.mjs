// Row comparison for the Node.js tests.

/** Largest per-row relative L2 error of `got` against `want`, rows of `dim`. */
export function worstRelative(got, want, dim) {
  let worst = 0;
  for (let i = 0; i < want.length / dim; i++) {
    let dd = 0, ww = 0;
    for (let j = i * dim; j < (i + 1) * dim; j++) { dd += (got[j] - want[j]) ** 2; ww += want[j] ** 2; }
    worst = Math.max(worst, Math.sqrt(dd / ww));
  }
  return worst;
}

/** Smallest per-row cosine similarity of `got` to `want`, rows of `dim`. */
export function worstCosine(got, want, dim) {
  let worst = 1;
  for (let i = 0; i < want.length / dim; i++) {
    let dot = 0, gg = 0, ww = 0;
    for (let j = i * dim; j < (i + 1) * dim; j++) { dot += got[j] * want[j]; gg += got[j] ** 2; ww += want[j] ** 2; }
    worst = Math.min(worst, dot / Math.sqrt(gg * ww));
  }
  return worst;
}
