// The local camera and microphone. A call goes on without them, so failures become a
// reason (a key of strings.js) instead of an exception.

const VIDEO = {facingMode: 'user', width: {ideal: 1280}, height: {ideal: 720}};

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

/** Constraints for one kind: the chosen device, else the default one. */
export function constraint(kind, deviceId) {
  const base = kind === 'video' ? VIDEO : {};
  return deviceId ? {...base, deviceId: {exact: deviceId}} : (kind === 'video' ? VIDEO : true);
}

/**
 * Camera and microphone, or the microphone alone when there is no usable camera.
 * @param {{audio?: string, video?: string}} [choice] device ids picked by the person
 * @returns {Promise<{stream: MediaStream|null, problem: string|null}>}
 */
export async function getLocalMedia(mediaDevices = globalThis.navigator?.mediaDevices,
  choice = {}) {
  if (!mediaDevices?.getUserMedia) {
    // Chromium hides mediaDevices altogether on plain HTTP.
    return {stream: null, problem: globalThis.isSecureContext === false ? 'insecure'
      : 'mediaMissing'};
  }
  try {
    const constraints = {audio: constraint('audio', choice.audio),
      video: constraint('video', choice.video)};
    return {stream: await mediaDevices.getUserMedia(constraints), problem: null};
  } catch (error) {
    const problem = mediaProblem(error);
    if (problem === 'mediaDenied') return {stream: null, problem};
    try {
      return {stream: await mediaDevices.getUserMedia({audio: true}),
        problem: problem === 'mediaBusy' ? 'cameraBusy' : 'cameraMissing'};
    } catch {
      return {stream: null, problem};
    }
  }
}

/**
 * One new track of `kind` from the chosen device, or null when the browser refuses.
 * @param {'audio'|'video'} kind @param {string} deviceId
 * @param {MediaDevices} [mediaDevices]
 * @returns {Promise<MediaStreamTrack|null>}
 */
export async function getTrack(kind, deviceId, mediaDevices = globalThis.navigator?.mediaDevices) {
  try {
    const stream = await mediaDevices.getUserMedia({[kind]: constraint(kind, deviceId)});
    return stream.getTracks()[0];
  } catch {
    return null;
  }
}

export function stopMedia(stream) {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
