// Hosts' passkeys without the DOM: the `/auth/...` requests (docs/protocol.md, "Hosts") and
// the WebAuthn calls (`navigator.credentials`), with the JSON shapes of WebAuthn Level 3
// §5.1.9/§5.1.10 (options) and §5.1 `toJSON()` (answers) converted by hand, since not every
// browser has `parseCreationOptionsFromJSON` yet. Node tests drive it with fakes.

/**
 * Each code of a refused `/auth/...` request and the strings.js key that explains it; the
 * list is tests/shared/protocol-facts.json's `host_errors`.
 * @type {Readonly<Record<string, string>>}
 */
export const HOST_ERRORS = Object.freeze({
  'bad-request': 'passkeyFailed',
  'hosts-off': 'hostsOff',
  'enrolment-unknown': 'enrolmentUnknown',
  'enrolment-used': 'enrolmentUsed',
  'enrolment-expired': 'enrolmentExpired',
  'challenge-invalid': 'challengeInvalid',
  'wrong-origin': 'passkeyWrongSite',
  'wrong-rp-id': 'passkeyWrongSite',
  'bad-signature': 'passkeyFailed',
  'passkey-invalid': 'passkeyFailed',
  'passkey-unknown': 'passkeyUnknown',
  'rate-limited': 'passkeyRateLimited',
});

/** A refused or abandoned attempt; `key` names its sentence in strings.js. */
export class HostError extends Error {
  /** @param {string} key @param {string} [code] the server's code, if it refused */
  constructor(key, code = '') {
    super(code || key);
    this.key = key;
    this.code = code;
  }
}

/**
 * @typedef {{access: 'open'|'hosts', host: {name: string}|null}} HostState
 * @typedef {{fetch: typeof fetch, credentials?: CredentialsContainer|null}} Browser
 */

/** @param {string} text base64url, padding optional @returns {Uint8Array} */
export function fromBase64url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** @param {ArrayBuffer|ArrayBufferView} bytes @returns {string} base64url, unpadded */
export function toBase64url(bytes) {
  const view = ArrayBuffer.isView(bytes)
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
  let binary = '';
  for (const byte of view) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** `PublicKeyCredentialCreationOptionsJSON` → what `credentials.create` takes. @param {any} json */
export function creationOptions(json) {
  return {
    ...json,
    challenge: fromBase64url(json.challenge),
    user: {...json.user, id: fromBase64url(json.user.id)},
    excludeCredentials: (json.excludeCredentials ?? []).map(
      (/** @type {any} */ c) => ({...c, id: fromBase64url(c.id)})),
  };
}

/** `PublicKeyCredentialRequestOptionsJSON` → what `credentials.get` takes. @param {any} json */
export function requestOptions(json) {
  return {
    ...json,
    challenge: fromBase64url(json.challenge),
    allowCredentials: (json.allowCredentials ?? []).map(
      (/** @type {any} */ c) => ({...c, id: fromBase64url(c.id)})),
  };
}

/**
 * A `PublicKeyCredential` as the JSON the server reads (§5.1 `toJSON()`).
 * @param {any} credential
 */
export function credentialJSON(credential) {
  const {response} = credential;
  /** @type {Record<string, string|string[]|null>} */
  const answer = {clientDataJSON: toBase64url(response.clientDataJSON)};
  if (response.attestationObject) {
    answer.attestationObject = toBase64url(response.attestationObject);
    answer.transports = response.getTransports?.() ?? [];
  } else {
    answer.authenticatorData = toBase64url(response.authenticatorData);
    answer.signature = toBase64url(response.signature);
    answer.userHandle = response.userHandle ? toBase64url(response.userHandle) : null;
  }
  return {
    id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type,
    response: answer, clientExtensionResults: {},
    authenticatorAttachment: credential.authenticatorAttachment ?? null,
  };
}

/** Who this browser is on this server. @param {Browser} browser @returns {Promise<HostState>} */
export async function hostState({fetch}) {
  const reply = await fetch('/auth/me', {cache: 'no-store'});
  if (!reply.ok) return {access: 'open', host: null};
  return reply.json();
}

/**
 * Register a passkey with the enrolment link's `token`: its opener becomes a host and is
 * signed in. @param {string} token @param {Browser} browser
 * @returns {Promise<{name: string}>} the new host @throws {HostError}
 */
export async function enrol(token, browser) {
  const {options} = await post(browser, '/auth/enrol/options', {token});
  const credential = await ask(() => browser.credentials?.create(
    {publicKey: /** @type {any} */ (creationOptions(options))}));
  const {host} = await post(browser, '/auth/enrol', {token, credential: credentialJSON(credential)});
  return host;
}

/** Sign in with any passkey of this server. @param {Browser} browser @throws {HostError} */
export async function signIn(browser) {
  const {options} = await post(browser, '/auth/sign-in/options', {});
  const credential = await ask(() => browser.credentials?.get(
    {publicKey: /** @type {any} */ (requestOptions(options))}));
  const {host} = await post(browser, '/auth/sign-in', {credential: credentialJSON(credential)});
  return /** @type {{name: string}} */ (host);
}

/** @param {Browser} browser */
export async function signOut({fetch}) {
  await fetch('/auth/sign-out', {method: 'POST'});
}

/** @param {Browser} browser @param {string} path @param {object} body */
async function post({fetch}, path, body) {
  let reply;
  try {
    reply = await fetch(path, {method: 'POST', headers: {'content-type': 'application/json'},
      body: JSON.stringify(body)});
  } catch {
    throw new HostError('passkeyOffline');
  }
  const answer = await reply.json().catch(() => ({}));
  if (reply.ok) return answer;
  throw new HostError(HOST_ERRORS[answer.code] ?? 'passkeyFailed', answer.code ?? '');
}

/** The browser's passkey prompt; the person closing it is not an error of ours. */
async function ask(prompt) {
  let credential;
  try {
    credential = await prompt();
  } catch (error) {
    const name = /** @type {{name?: string}} */ (error)?.name;
    throw new HostError(name === 'NotAllowedError' ? 'passkeyCancelled' : 'passkeyFailed');
  }
  if (!credential) throw new HostError('passkeyUnsupported');
  return credential;
}
