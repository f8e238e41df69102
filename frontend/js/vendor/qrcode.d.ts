// Types of qrcode-generator 2.0.4's ES module build (qrcode.js beside this file), the part
// qr-code.js uses. The package's own qrcode.d.ts declares its CommonJS build instead.

/** One QR code being built: add the data, make it, then read its modules. */
export interface QRCode {
  addData(data: string, mode?: 'Numeric' | 'Alphanumeric' | 'Byte' | 'Kanji'): void;
  /** @throws {Error} when the data does not fit the type number */
  make(): void;
  /** The side of the symbol, in modules (21 for type 1, +4 per type). */
  getModuleCount(): number;
  isDark(row: number, col: number): boolean;
}

/**
 * @param typeNumber 1 to 40, or 0 for the smallest that fits the data
 * @param errorCorrectionLevel L (7 %), M (15 %), Q (25 %) or H (30 %) of the code may be lost
 */
export declare function qrcode(typeNumber: number,
  errorCorrectionLevel: 'L' | 'M' | 'Q' | 'H'): QRCode;
export default qrcode;
