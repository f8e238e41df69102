// The page's elements (index.html) by id, typed for what the views do with them.

/** @param {string} id @returns {HTMLElement} */
export const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @param {string} id */
export const inputById = (id) => /** @type {HTMLInputElement} */ (byId(id));

/** @param {string} id */
export const buttonById = (id) => /** @type {HTMLButtonElement} */ (byId(id));

/** @param {string} id */
export const selectById = (id) => /** @type {HTMLSelectElement} */ (byId(id));

/** @param {string} id */
export const meterById = (id) => /** @type {HTMLMeterElement} */ (byId(id));

/**
 * A video element; `setSinkId` (choosing the speaker) is missing from some browsers.
 * @param {string} id
 * @returns {HTMLVideoElement & {setSinkId?: (deviceId: string) => Promise<void>}}
 */
export const videoById = (id) => /** @type {HTMLVideoElement} */ (byId(id));
