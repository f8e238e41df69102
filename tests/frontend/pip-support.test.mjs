// Which picture-in-picture a browser offers, and Chromium's automatic one (pip-support.js).
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {pipMode, setAutoPip} from '../../frontend/js/pip-support.js';

const videoPip = {requestPictureInPicture() {}};
const browser = ({documentPip = false, video = true, enabled = true} = {}) => ({
  documentPictureInPicture: documentPip ? {requestWindow() {}} : undefined,
  HTMLVideoElement: {prototype: video ? videoPip : {}},
  document: {pictureInPictureEnabled: enabled},
});

test('Document Picture-in-Picture first, the video element\'s next, else none', () => {
  assert.equal(pipMode(browser({documentPip: true})), 'document');
  assert.equal(pipMode(browser()), 'video');
  assert.equal(pipMode(browser({video: false})), null);
  assert.equal(pipMode(browser({enabled: false})), null, 'turned off by policy');
  assert.equal(pipMode(undefined), null);
});

test('the automatic PiP handler is registered and removed where the browser knows it', () => {
  const handlers = new Map();
  const mediaSession = {setActionHandler: (action, handler) => handlers.set(action, handler)};
  const enter = () => {};
  assert.equal(setAutoPip(mediaSession, enter), true);
  assert.equal(handlers.get('enterpictureinpicture'), enter);
  setAutoPip(mediaSession, null);
  assert.equal(handlers.get('enterpictureinpicture'), null);
});

test('a browser that does not know the action, or has no Media Session, is left alone', () => {
  const unknown = {setActionHandler: () => { throw new TypeError('unknown action'); }};
  assert.equal(setAutoPip(unknown, () => {}), false);
  assert.equal(setAutoPip(undefined, () => {}), false);
});
