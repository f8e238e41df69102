// The meeting link's QR code in the waiting view, so a phone can join by pointing its
// camera at the screen. The encoder (qr-code.js and the vendored library) loads on first show.
import {fill, strings} from './strings.js';

const SVG = 'http://www.w3.org/2000/svg';

/**
 * Draw the QR code of `link` into `figure` (an SVG, dark on light whatever the colour
 * scheme, with its quiet zone and a label for screen readers); '' empties it.
 * @param {HTMLElement} figure
 * @param {string} link the meeting link
 * @returns {Promise<void>} settles once drawn; a link too long to encode leaves it empty
 */
export async function showQr(figure, link) {
  figure.replaceChildren();
  figure.dataset.link = link;
  if (!link) return;
  const {qrPath} = await import('./qr-code.js');
  if (figure.dataset.link !== link) return; // another link was asked for meanwhile
  let symbol;
  try {
    symbol = qrPath(link);
  } catch {
    return; // Too long for a QR code: the link and Copy link remain.
  }
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${symbol.size} ${symbol.size}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', fill(strings.qrLabel, {link}));
  svg.setAttribute('shape-rendering', 'crispEdges');
  const light = document.createElementNS(SVG, 'rect');
  light.setAttribute('width', '100%');
  light.setAttribute('height', '100%');
  light.setAttribute('fill', '#fff');
  const dark = document.createElementNS(SVG, 'path');
  dark.setAttribute('d', symbol.path);
  dark.setAttribute('fill', '#000');
  svg.append(light, dark);
  const caption = document.createElement('figcaption');
  caption.textContent = strings.qrCaption;
  figure.append(svg, caption);
}
