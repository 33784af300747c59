/**
 * Terminal-safe text: a hostile server must not be able to retitle, clear or
 * overwrite the user's terminal through the `oneline` command.
 */

// C0 controls except TAB, DEL, and C1 controls (0x9B is a one-byte CSI).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/**
 * Replaces control characters with `\xNN` escapes (TAB is kept). Backslashes
 * are left alone, so JSON answers stay readable and parseable.
 */
export function escapeForTerminal(text: string): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
