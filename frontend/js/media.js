// The local camera and microphone. A call goes on without them, so failures become a
// reason (a key of strings.js) instead of an exception.

const CONSTRAINTS = {
  audio: true,
  video: {facingMode: 'user', width: {ideal: 1280}, height: {ideal: 720}},
};

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
 * Camera and microphone, or the microphone alone when there is no usable camera.
 * @returns {Promise<{stream: MediaStream|null, problem: string|null}>}
 */
export async function getLocalMedia(mediaDevices = globalThis.navigator?.mediaDevices) {
  if (!mediaDevices?.getUserMedia) return {stream: null, problem: 'mediaMissing'};
  try {
    return {stream: await mediaDevices.getUserMedia(CONSTRAINTS), problem: null};
  } catch (error) {
    const problem = mediaProblem(error);
    if (problem === 'mediaDenied') return {stream: null, problem};
    try {
      return {stream: await mediaDevices.getUserMedia({audio: true}), problem: 'cameraMissing'};
    } catch {
      return {stream: null, problem};
    }
  }
}

export function stopMedia(stream) {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
