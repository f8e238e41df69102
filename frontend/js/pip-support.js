// Which picture-in-picture this browser offers. DOM-free: it is handed the window.

/**
 * @typedef {'document'|'video'|null} PipMode
 * document: Document Picture-in-Picture (a small window of our own, with mute and hang-up);
 * video: the video element alone (`requestPictureInPicture`); null: none.
 */

/**
 * @param {any} win the page's window (or a stand-in with the same properties)
 * @returns {PipMode}
 */
export function pipMode(win) {
  if (win?.documentPictureInPicture?.requestWindow) return 'document';
  const video = win?.HTMLVideoElement?.prototype;
  if (typeof video?.requestPictureInPicture === 'function' &&
    win.document?.pictureInPictureEnabled !== false) return 'video';
  return null;
}

/**
 * Register (or, with null, remove) the handler Chromium calls to enter picture-in-picture
 * by itself when the person switches tabs during a video call (Media Session
 * `enterpictureinpicture`). Browsers that do not know the action throw: nothing to do there.
 * @param {any} mediaSession navigator.mediaSession, or undefined
 * @param {(() => void)|null} handler
 * @returns {boolean} whether the browser took it
 */
export function setAutoPip(mediaSession, handler) {
  try {
    mediaSession?.setActionHandler('enterpictureinpicture', handler);
    return Boolean(mediaSession);
  } catch {
    return false;
  }
}
