// The local camera and microphone. A call goes on without them, so failures become a
// reason (a key of strings.js) instead of an exception.

// The camera opens at 640x360 and goes to 1280x720 once the call is connected (fullSize).
// Chromium starts a connection's estimate at 300 kbps and, for a picture larger than
// 640x480 at that rate, drops the first frames while it asks for a smaller one: measured
// here, a 1280x720 start put the first frame ~350 ms later (docs/performance.md).
const START_VIDEO = {facingMode: 'user', width: {ideal: 640}, height: {ideal: 360}};
const FULL_VIDEO = {facingMode: 'user', width: {ideal: 1280}, height: {ideal: 720}};
/** Milliseconds from `connected` to the full size: the first frames are out by then. */
export const FULL_SIZE_AFTER_MS = 1000;

/**
 * The microphone's processing: echo cancellation always (without it each side hears
 * itself back), noise suppression as the person chose (audio-view.js, remembered).
 * @typedef {{echoCancellation: true, noiseSuppression: boolean}} AudioProcessing
 */
/** @type {AudioProcessing} */
export const DEFAULT_AUDIO = {echoCancellation: true, noiseSuppression: true};

/** The strings.js key that explains a getUserMedia failure. */
export function mediaProblem(error) {
  switch (error?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'mediaDenied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'mediaMissing';
    default:
      return 'mediaBusy';
  }
}

/**
 * Constraints for one kind: the chosen device, else the default one.
 * @param {'audio'|'video'} kind @param {string} [deviceId]
 * @param {boolean} [full] the camera's full size (in a connected call), else the start size
 * @param {AudioProcessing} [audio] the microphone's processing
 * @returns {MediaTrackConstraints}
 */
export function constraint(kind, deviceId, full = false, audio = DEFAULT_AUDIO) {
  const base = kind === 'video' ? (full ? FULL_VIDEO : START_VIDEO) : audio;
  return deviceId ? {...base, deviceId: {exact: deviceId}} : {...base};
}

/**
 * Ask a camera track for the full size (1280x720). Best effort: a camera that cannot keeps
 * its size. @param {MediaStreamTrack} track @returns {Promise<void>}
 */
export async function fullSize(track) {
  try {
    const {deviceId} = track.getSettings();
    await track.applyConstraints({...FULL_VIDEO, ...(deviceId ? {deviceId: {exact: deviceId}} : {})});
  } catch {
    // the start size it is
  }
}

/**
 * Camera and microphone, or the microphone alone when there is no usable camera.
 * @param {{audio?: string, video?: string}} [choice] device ids picked by the person
 * @param {AudioProcessing} [audio] the microphone's processing
 * @returns {Promise<{stream: MediaStream|null, problem: string|null}>}
 */
export async function getLocalMedia(mediaDevices = globalThis.navigator?.mediaDevices,
  choice = {}, audio = DEFAULT_AUDIO) {
  if (!mediaDevices?.getUserMedia) {
    // Chromium hides mediaDevices altogether on plain HTTP.
    return {stream: null, problem: globalThis.isSecureContext === false ? 'insecure'
      : 'mediaMissing'};
  }
  try {
    const constraints = {audio: constraint('audio', choice.audio, false, audio),
      video: constraint('video', choice.video)};
    return {stream: await mediaDevices.getUserMedia(constraints), problem: null};
  } catch (error) {
    const problem = mediaProblem(error);
    if (problem === 'mediaDenied') return {stream: null, problem};
    try {
      return {stream: await mediaDevices.getUserMedia({audio: constraint('audio', '', false, audio)}),
        problem: problem === 'mediaBusy' ? 'cameraBusy' : 'cameraMissing'};
    } catch {
      return {stream: null, problem};
    }
  }
}

/**
 * One new track of `kind` from the chosen device, or null when the browser refuses.
 * @param {'audio'|'video'} kind @param {string} deviceId
 * @param {MediaDevices} [mediaDevices] @param {boolean} [full] see constraint()
 * @param {AudioProcessing} [audio] see constraint()
 * @returns {Promise<MediaStreamTrack|null>}
 */
export async function getTrack(kind, deviceId, mediaDevices = globalThis.navigator?.mediaDevices,
  full = false, audio = DEFAULT_AUDIO) {
  try {
    const stream = await mediaDevices.getUserMedia({[kind]: constraint(kind, deviceId, full, audio)});
    return stream.getTracks()[0];
  } catch {
    return null;
  }
}

export function stopMedia(stream) {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
