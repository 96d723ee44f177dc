// A line diff (longest common subsequence over lines, common head and tail trimmed first), for
// comparing two versions of a prompt. Prompt versions are at most 65,536 characters, so the
// table stays small; past a budget the middle is shown as removed-then-added.

/** Cells of the LCS table allowed before giving up on alignment. */
const BUDGET = 4_000_000;

/**
 * The lines of `after` compared with `before`: each `{op: " " | "-" | "+", text}`.
 * @param {string} before
 * @param {string} after
 * @returns {{op: " " | "-" | "+", text: string}[]}
 */
export function diffLines(before, after) {
  const a = before.split("\n");
  const b = after.split("\n");
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  /** @type {{op: " " | "-" | "+", text: string}[]} */
  const out = a.slice(0, head).map((text) => ({ op: " ", text }));
  const n = midA.length;
  const m = midB.length;
  if (n * m > BUDGET) {
    for (const text of midA) out.push({ op: "-", text });
    for (const text of midB) out.push({ op: "+", text });
  } else {
    // lcs[i][j] = LCS length of midA[i..] and midB[j..], in one flat array.
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = midA[i] === midB[j]
          ? lcs[(i + 1) * w + j + 1] + 1
          : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (midA[i] === midB[j]) {
        out.push({ op: " ", text: midA[i] });
        i++;
        j++;
      } else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) out.push({ op: "-", text: midA[i++] });
      else out.push({ op: "+", text: midB[j++] });
    }
    while (i < n) out.push({ op: "-", text: midA[i++] });
    while (j < m) out.push({ op: "+", text: midB[j++] });
  }
  for (const text of a.slice(a.length - tail)) out.push({ op: " ", text });
  return out;
}
