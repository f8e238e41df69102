// The palette in app.css meets WCAG AA: 4.5:1 for text, 3:1 for focus rings, in both schemes.
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';

const css = readFileSync(new URL('../../frontend/css/app.css', import.meta.url), 'utf8');

/** The custom properties of the first block that `start` begins. */
function palette(start) {
  const block = css.slice(css.indexOf(start)).match(/\{([^}]*)\}/)[1];
  return Object.fromEntries([...block.matchAll(/--([\w-]+):\s*(#[0-9a-f]{3,6})/gi)]
    .map(([, name, value]) => [name, value]));
}

function luminance(hex) {
  const digits = hex.length === 4 ? [...hex.slice(1)].map((d) => d + d).join('') : hex.slice(1);
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a, b) {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

const light = palette(':root');
const dark = {...light, ...palette('(prefers-color-scheme: dark)')};
const TEXT = [
  ['fg', 'bg'], ['muted', 'bg'], ['fg', 'card'], ['muted', 'card'], ['danger', 'bg'],
  ['danger', 'card'], ['accent-fg', 'accent'], ['danger-fg', 'danger-bg'], ['bg', 'fg'],
  ['call-fg', 'call-bg'], ['call-muted', 'call-bg'], ['call-error', 'call-bg'],
  ['call-fg', 'call-button'], ['call-bg', 'call-fg'],
];

test('the contrast formula matches known values', () => {
  assert.equal(contrast('#000', '#fff').toFixed(1), '21.0');
  assert.equal(contrast('#777', '#fff').toFixed(2), '4.48');
});

for (const [name, colours] of [['light', light], ['dark', dark]]) {
  test(`${name} scheme: text pairs reach 4.5:1, focus rings 3:1`, () => {
    for (const [fg, bg] of TEXT) {
      assert.ok(colours[fg] && colours[bg], `--${fg} and --${bg} exist`);
      const ratio = contrast(colours[fg], colours[bg]);
      assert.ok(ratio >= 4.5, `${name}: --${fg} on --${bg} is ${ratio.toFixed(2)}:1`);
    }
    for (const bg of ['bg', 'card']) {
      const ratio = contrast(colours.focus, colours[bg]);
      assert.ok(ratio >= 3, `${name}: --focus on --${bg} is ${ratio.toFixed(2)}:1`);
    }
  });
}
