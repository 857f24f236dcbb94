/**
 * Text from the queue (task fields, records, heartbeats) is written by
 * producers nobody vouches for. Before it reaches a terminal, characters
 * that a terminal acts on instead of showing are made visible, so a task
 * cannot move the cursor, clear the screen, set the window title, write
 * the clipboard (OSC 52) or reorder the text around it.
 */

/**
 * C0 controls and DEL, C1 controls (8-bit CSI, OSC...), the Unicode line
 * and paragraph separators, and the bidirectional overrides and isolates.
 */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Unsafe characters except newline, for text printed as several lines. */
const UNSAFE_INLINE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escape = (char: string) =>
  `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * Returns `text` with every control character written as a `\uXXXX`
 * escape: one line, safe to print in a table cell or a status line.
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, escape);
}

/**
 * As `printable`, but keeps newlines: for text of several lines (a pretty
 * JSON document, a detail pane). In JSON text this changes no value, since
 * such characters can only stand inside strings, where the escape means
 * the same character.
 */
export function printableLines(text: string): string {
  return text.replace(UNSAFE_INLINE, escape);
}
