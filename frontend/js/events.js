// The modules talk through CustomEvents whose `detail` is the news itself.

/**
 * Call `listener` with the detail of each `type` event on `target`.
 * @template T
 * @param {EventTarget} target
 * @param {string} type
 * @param {(detail: T) => void} listener
 */
export function onDetail(target, type, listener) {
  target.addEventListener(type, (event) => listener(/** @type {CustomEvent<T>} */ (event).detail));
}
