// The meeting link as a QR code: the vendored qrcode-generator encodes it, this draws the
// dark modules as one SVG path. DOM-free, so node tests can check what it draws.
import {qrcode} from './vendor/qrcode.js';

/** Light modules around the symbol, the quiet zone scanners need (ISO/IEC 18004 asks 4). */
export const QUIET_ZONE = 4;

/**
 * The QR code of `text` as an SVG path in module units, quiet zone included.
 * Error correction M (15 % may be lost): a phone reads it off a screen at an angle.
 * @param {string} text ASCII (a meeting link); other characters are not encoded faithfully
 * @returns {{size: number, path: string}} `size`: the side in modules, quiet zone included;
 *   `path`: one subpath per horizontal run of dark modules
 * @throws {Error} when the text is too long for any QR code (about 2,300 characters at M)
 */
export function qrPath(text) {
  const code = qrcode(0, 'M');
  code.addData(text, 'Byte');
  code.make();
  const count = code.getModuleCount();
  let path = '';
  for (let row = 0; row < count; row += 1) {
    for (let col = 0; col < count;) {
      if (!code.isDark(row, col)) {
        col += 1;
        continue;
      }
      const start = col;
      while (col < count && code.isDark(row, col)) col += 1;
      path += `M${start + QUIET_ZONE} ${row + QUIET_ZONE}h${col - start}v1h-${col - start}z`;
    }
  }
  return {size: count + 2 * QUIET_ZONE, path};
}
