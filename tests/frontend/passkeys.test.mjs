import assert from 'node:assert/strict';
import {test} from 'node:test';

import {HOST_ERRORS, HostError, credentialJSON, creationOptions, enrol, fromBase64url, requestOptions,
  signIn, toBase64url} from '../../frontend/js/passkeys.js';
import {strings} from '../../frontend/js/strings.js';
import {protocolFacts} from './protocol-facts.mjs';

test('the client explains exactly the host refusals the server sends, each with a sentence', () => {
  assert.deepEqual(Object.keys(HOST_ERRORS).sort(), [...protocolFacts.host_errors.codes].sort());
  for (const [code, key] of Object.entries(HOST_ERRORS)) {
    assert.equal(typeof strings[key], 'string', code);
  }
});

test('base64url both ways, unpadded, with the URL-safe letters', () => {
  const bytes = Uint8Array.from([0xfb, 0xff, 0xbf, 0, 1]);
  assert.equal(toBase64url(bytes), '-_-_AAE');
  assert.deepEqual(fromBase64url('-_-_AAE'), bytes);
  assert.deepEqual(fromBase64url(toBase64url(new Uint8Array(0))), new Uint8Array(0));
});

test('options JSON becomes what navigator.credentials takes: the byte fields as bytes', () => {
  const create = creationOptions({challenge: 'AAEC', user: {id: 'AwQ', name: 'Ana'},
    excludeCredentials: [{id: 'BQ', type: 'public-key'}], rp: {id: 'localhost'}});
  assert.deepEqual(create.challenge, Uint8Array.from([0, 1, 2]));
  assert.deepEqual(create.user.id, Uint8Array.from([3, 4]));
  assert.equal(create.user.name, 'Ana');
  assert.deepEqual(create.excludeCredentials[0].id, Uint8Array.from([5]));
  const get = requestOptions({challenge: 'AAEC', rpId: 'localhost'});
  assert.deepEqual(get.allowCredentials, []);
  assert.equal(get.rpId, 'localhost');
});

/** A sign-in answer as a browser's PublicKeyCredential has it. */
const assertion = {id: 'AQI', rawId: Uint8Array.from([1, 2]).buffer, type: 'public-key',
  authenticatorAttachment: 'platform',
  response: {clientDataJSON: Uint8Array.from([123]).buffer, authenticatorData: new Uint8Array(2),
    signature: Uint8Array.from([9]), userHandle: Uint8Array.from([7])}};

test('an answer becomes the JSON of WebAuthn toJSON()', () => {
  assert.deepEqual(credentialJSON(assertion), {id: 'AQI', rawId: 'AQI', type: 'public-key',
    response: {clientDataJSON: 'ew', authenticatorData: 'AAA', signature: 'CQ', userHandle: 'Bw'},
    clientExtensionResults: {}, authenticatorAttachment: 'platform'});
});

/** A server answering each path with the given [status, body]; the requests are kept. */
function fakeServer(replies) {
  const requests = [];
  const fetch = async (path, init) => {
    requests.push({path, body: init?.body ? JSON.parse(init.body) : null});
    const [status, body] = replies[path];
    return {ok: status < 300, status, json: async () => body};
  };
  return {fetch, requests};
}

test('sign-in: options, the passkey prompt with them, the answer back', async () => {
  const server = fakeServer({
    '/auth/sign-in/options': [200, {options: {challenge: 'AAEC', rpId: 'localhost'}}],
    '/auth/sign-in': [200, {host: {name: 'Ana'}}],
  });
  let asked;
  const credentials = {get: async (options) => {
    asked = options;
    return assertion;
  }};
  assert.deepEqual(await signIn({fetch: server.fetch, credentials}), {name: 'Ana'});
  assert.deepEqual(asked.publicKey.challenge, Uint8Array.from([0, 1, 2]));
  assert.equal(server.requests[1].body.credential.rawId, 'AQI');
});

test('a refusal becomes a HostError naming its sentence; nothing is asked of the passkey', async () => {
  const server = fakeServer({'/auth/enrol/options': [410, {code: 'enrolment-used', message: 'x'}]});
  let prompted = false;
  const credentials = {create: async () => {
    prompted = true;
  }};
  await assert.rejects(enrol('token', {fetch: server.fetch, credentials}),
    (error) => error instanceof HostError && error.key === 'enrolmentUsed' &&
      error.code === 'enrolment-used');
  assert.equal(prompted, false);
  assert.deepEqual(server.requests[0].body, {token: 'token'});
});

test('closing the browser prompt is told apart from a failure', async () => {
  const server = fakeServer({'/auth/sign-in/options': [200, {options: {challenge: 'AA'}}]});
  const refuse = (name) => ({get: async () => {
    throw Object.assign(new Error(name), {name});
  }});
  await assert.rejects(signIn({fetch: server.fetch, credentials: refuse('NotAllowedError')}),
    (error) => error.key === 'passkeyCancelled');
  await assert.rejects(signIn({fetch: server.fetch, credentials: refuse('SecurityError')}),
    (error) => error.key === 'passkeyFailed');
  await assert.rejects(signIn({fetch: server.fetch, credentials: null}),
    (error) => error.key === 'passkeyUnsupported');
});
