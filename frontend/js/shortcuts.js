// Keys that work anywhere in the call but in a text field (see the help popover): each
// clicks its button, so a shortcut does exactly what the button does.

/** Key → id of the button it clicks. */
export const SHORTCUTS = Object.freeze({
  m: 'toggle-mic', v: 'toggle-camera', a: 'toggle-audio-only', H: 'hang-up',
});

/**
 * The id of the button a key press stands for, or null (no shortcut, a modifier held, or
 * typing in a field).
 * @param {{key: string, ctrlKey?: boolean, metaKey?: boolean, altKey?: boolean,
 *   target?: any}} event a KeyboardEvent
 * @returns {string|null}
 */
export function shortcutButton(event) {
  const id = SHORTCUTS[event.key];
  if (!id || event.ctrlKey || event.metaKey || event.altKey) return null;
  if (event.target?.closest?.('input, textarea, select')) return null;
  return id;
}

/**
 * Click a shortcut's button on each key press while `active()` says so.
 * @param {Document} document @param {() => boolean} active e.g. while in a call
 */
export function bindShortcuts(document, active) {
  document.addEventListener('keydown', (event) => {
    const id = shortcutButton(event);
    if (!id || !active()) return;
    event.preventDefault();
    document.getElementById(id)?.click();
  });
}
