/**
 * Display width of text in terminal cells, after go-runewidth's StringWidth (which docker's tabwriter uses):
 * each grapheme cluster counts as the width of its first non-zero-width rune; East Asian wide and
 * fullwidth characters and emoji count 2; control characters, combining marks and format characters 0.
 * Ambiguous-width characters count 1 unless `eastAsian` is set (go-runewidth's East Asian locales).
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

// East Asian Wide (W) and Fullwidth (F) ranges outside the emoji set, as [first, last] code points.
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff],
  [0x1b000, 0x1b2ff],
  [0x1f200, 0x1f2ff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

// A few common East Asian Ambiguous (A) ranges: Greek, Cyrillic, box drawing, symbols.
const AMBIGUOUS: ReadonlyArray<readonly [number, number]> = [
  [0x00a1, 0x00a1],
  [0x00b0, 0x00b4],
  [0x00b6, 0x00ba],
  [0x00bc, 0x00bf],
  [0x00d7, 0x00d7],
  [0x00f7, 0x00f7],
  [0x0391, 0x03c9],
  [0x0401, 0x0451],
  [0x2010, 0x2027],
  [0x2030, 0x203e],
  [0x2190, 0x21ff],
  [0x2200, 0x22ff],
  [0x2460, 0x24ff],
  [0x2500, 0x257f],
  [0x25a0, 0x25ff],
  [0x2600, 0x26ff],
];

const inRanges = (cp: number, ranges: ReadonlyArray<readonly [number, number]>): boolean =>
  ranges.some(([a, b]) => cp >= a && cp <= b);

const zeroWidth = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const emojiPresentation = /^\p{Emoji_Presentation}$/u;

/** Width of one code point (go-runewidth RuneWidth). */
export function runeWidth(ch: string, eastAsian = false): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0xad) return 0;
  if (cp < 0x300) return eastAsian && inRanges(cp, AMBIGUOUS) ? 2 : 1;
  if (zeroWidth.test(ch)) return 0;
  if (emojiPresentation.test(ch) || inRanges(cp, WIDE)) return 2;
  if (eastAsian && inRanges(cp, AMBIGUOUS)) return 2;
  return 1;
}

/** Width of a string in terminal cells (go-runewidth StringWidth). */
export function stringWidth(s: string, eastAsian = false): number {
  // Fast path: printable ASCII is one cell per character.
  if (/^[\x20-\x7e]*$/.test(s)) return s.length;
  let width = 0;
  for (const { segment } of segmenter.segment(s)) {
    for (const ch of segment) {
      const w = runeWidth(ch, eastAsian);
      if (w > 0) {
        width += w;
        break;
      }
    }
  }
  return width;
}
