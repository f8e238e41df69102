import assert from 'node:assert/strict';
import {test} from 'node:test';

import {shortcutButton} from '../../frontend/js/shortcuts.js';

const inField = {closest: (selector) => (selector.includes('input') ? {} : null)};

test('m, v, a and Shift+H click mute, camera, audio only and hang up', () => {
  assert.equal(shortcutButton({key: 'm'}), 'toggle-mic');
  assert.equal(shortcutButton({key: 'v'}), 'toggle-camera');
  assert.equal(shortcutButton({key: 'a'}), 'toggle-audio-only');
  assert.equal(shortcutButton({key: 'H'}), 'hang-up');
  assert.equal(shortcutButton({key: 'h'}), null, 'hang up needs Shift');
});

test('no shortcut with a modifier held or while typing in a field', () => {
  assert.equal(shortcutButton({key: 'm', ctrlKey: true}), null);
  assert.equal(shortcutButton({key: 'm', metaKey: true}), null);
  assert.equal(shortcutButton({key: 'v', altKey: true}), null);
  assert.equal(shortcutButton({key: 'm', target: inField}), null);
  assert.equal(shortcutButton({key: 'm', target: {closest: () => null}}), 'toggle-mic');
});
