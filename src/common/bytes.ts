/**
 * Queue entries whose bytes are not UTF-8. Redis holds any bytes, but a
 * reply decoded to a string loses them (each bad byte becomes U+FFFD), and
 * the in-flight copy could then never be removed by value. The TCP
 * transport hands such an entry over as this mark plus base64, and turns
 * the mark back into the same bytes whenever it is sent to Redis.
 */
import { isUtf8 } from "node:buffer";

/**
 * Starts with a lone surrogate, which no decoding of bytes ever yields:
 * a string read as text (argv, stdin, a reply decoded as UTF-8) can never
 * look marked, so a producer cannot forge the mark with an entry of its
 * own (one starting with NUL and `bytes:` could, and was then recorded
 * never, since its in-flight copy was looked for under other bytes).
 */
const MARK = "\udc80bytes:";

/** The string form of an entry read as bytes. */
export function entryFromBytes(bytes: Buffer): string {
  return isUtf8(bytes)
    ? bytes.toString("utf8")
    : MARK + bytes.toString("base64");
}

/** True for an entry whose bytes were not UTF-8. */
export function isBytesEntry(value: string): boolean {
  return value.startsWith(MARK);
}

/** What to send to Redis for `value`: the original bytes of a marked one. */
export function entryToWire(value: string): string | Buffer {
  return value.charCodeAt(0) === 0xdc80 && isBytesEntry(value)
    ? Buffer.from(value.slice(MARK.length), "base64")
    : value;
}
