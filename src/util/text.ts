/**
 * Text members give that others see (issue 15, finding 8): names, headlines, file names.
 * - The bidi override, embedding and isolate characters (U+202A-U+202E, U+2066-U+2069) are removed:
 *   they reorder what follows them, so "invoice\u202Efdp.txt" reads as "invoicetxt.pdf".
 * - A name must hold a visible letter or digit: not only zero-width characters, spaces, marks,
 *   punctuation, or the "letters" that draw nothing (Hangul fillers).
 */

const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/gu;
/** Letters (by Unicode category) that render as blank. */
const BLANK_LETTERS = /[\u115F\u1160\u3164\uFFA0]/gu;

/** Removes the bidi override, embedding and isolate characters. */
export function stripBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}

/** Whether the text holds a letter or a digit that shows. */
export function hasVisibleLetterOrDigit(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text.replace(BLANK_LETTERS, ''));
}

/** A name as stored: bidi controls removed, trimmed; null when nothing visible is left. */
export function cleanName(raw: string): string | null {
  const name = stripBidiControls(raw).trim();
  return hasVisibleLetterOrDigit(name) ? name : null;
}

/** A headline (or any shown line) as stored: bidi controls removed, trimmed. */
export function cleanLine(raw: string): string {
  return stripBidiControls(raw).trim();
}
