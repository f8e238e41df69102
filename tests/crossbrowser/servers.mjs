// Throw-away servers on loopback for the cross-browser calls, started as tests/loopback.py
// starts them for pytest: `python -m signaling` over TLS with a self-signed certificate,
// and a coturn that accepts the signaling service's TURN REST credentials.
import {spawn, execFileSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {mkdirSync, openSync, readFileSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:net';
import {createSocket} from 'node:dgram';
import {request} from 'node:https';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PYTHON = process.env.VISAVIS_PYTHON ?? join(REPO_ROOT, '.venv/bin/python');
const START_TIMEOUT_MS = 60_000; // python start-up on a loaded 2-core machine

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A free loopback port. @param {'tcp'|'udp'} [kind] @returns {Promise<number>} */
export function freePort(kind = 'tcp') {
  return new Promise((resolve, reject) => {
    if (kind === 'udp') {
      const socket = createSocket('udp4');
      socket.bind(0, '127.0.0.1', () => {
        const {port} = socket.address();
        socket.close(() => resolve(port));
      });
      return;
    }
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(address.port));
    }).on('error', reject);
  });
}

/** A P-256 certificate for 127.0.0.1, valid two days. @param {string} folder */
export function makeCertificate(folder) {
  const cert = join(folder, 'cert.pem');
  const key = join(folder, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt',
    'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert],
  {stdio: 'ignore'});
  return {cert, key};
}

/** GET /healthz over TLS (the certificate is our own): true on 200. */
function healthy(url) {
  return new Promise((resolve) => {
    const req = request(`${url}/healthz`, {rejectUnauthorized: false, timeout: 1000},
      (reply) => {
        reply.resume();
        resolve(reply.statusCode === 200);
      });
    req.on('error', () => resolve(false)).on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * The signaling service as `make run` starts it, on 127.0.0.1.
 * `stop(signal)` ends it; `start()` starts it again on the same port with the same
 * settings (the resume secret among them, so seats survive the restart).
 */
export class SignalingServer {
  /** @param {string} folder @param {Record<string, string>} [env] VISAVIS_* settings */
  constructor(folder, env = {}) {
    this.folder = folder;
    this.env = {VISAVIS_RESUME_SECRET: randomBytes(24).toString('hex'), ...env};
    /** @type {import('node:child_process').ChildProcess|null} */
    this.process = null;
    this.port = 0;
  }

  get url() {
    return `https://127.0.0.1:${this.port}`;
  }

  async start() {
    this.port ||= await freePort();
    this.tls ??= makeCertificate(this.folder);
    const env = Object.fromEntries(Object.entries(process.env)
      .filter(([name]) => !name.startsWith('VISAVIS_')));
    const log = openSync(join(this.folder, `server-${this.port}.log`), 'a');
    const process_ = spawn(PYTHON, ['-m', 'signaling'], {cwd: REPO_ROOT, stdio: ['ignore', log, log],
      env: {...env, VISAVIS_HOST: '127.0.0.1', VISAVIS_PORT: String(this.port),
        VISAVIS_TLS_CERT: this.tls.cert, VISAVIS_TLS_KEY: this.tls.key, ...this.env}});
    this.process = process_;
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (process_.exitCode !== null) {
        throw new Error(`the server exited with ${process_.exitCode}: ${this.log()}`);
      }
      if (await healthy(this.url)) return this;
      await sleep(50);
    }
    throw new Error(`the server did not answer /healthz in ${START_TIMEOUT_MS} ms: ${this.log()}`);
  }

  /** @param {NodeJS.Signals} [signal] SIGTERM as systemd stops it, SIGKILL for a crash */
  async stop(signal = 'SIGTERM') {
    const running = this.process;
    if (!running || running.exitCode !== null || running.signalCode) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  }

  log() {
    return readFileSync(join(this.folder, `server-${this.port}.log`), 'utf8');
  }
}

/**
 * coturn on 127.0.0.1 with use-auth-secret, as in tests/loopback.py (loopback peers are
 * allowed in this throw-away instance only: both browsers are here).
 * @param {string} folder
 * @returns {Promise<{port: number, secret: string, stop: () => Promise<void>}>}
 */
export async function startCoturn(folder) {
  const port = await freePort('udp');
  const secret = randomBytes(18).toString('base64url');
  const low = 50_000 + Math.floor(Math.random() * 150) * 100;
  const dir = join(folder, `coturn-${port}`);
  mkdirSync(dir, {recursive: true});
  writeFileSync(join(dir, 'turnserver.conf'), [
    'listening-ip=127.0.0.1', 'relay-ip=127.0.0.1', `listening-port=${port}`,
    `min-port=${low}`, `max-port=${low + 99}`, 'use-auth-secret',
    `static-auth-secret=${secret}`, 'realm=visavis.test', 'no-tls', 'no-dtls', 'no-cli',
    'allow-loopback-peers', `log-file=${dir}/turn.log`, `userdb=${dir}/turndb`,
    `pidfile=${dir}/turn.pid`, ''].join('\n'));
  const turn = spawn('turnserver', ['-c', join(dir, 'turnserver.conf')], {stdio: 'ignore'});
  const deadline = Date.now() + 10_000;
  while (!execFileSync('ss', ['-Hlun', `sport = :${port}`], {encoding: 'utf8'}).trim()) {
    if (turn.exitCode !== null) throw new Error(`coturn exited with ${turn.exitCode}`);
    if (Date.now() > deadline) throw new Error(`coturn is not listening on udp ${port}`);
    await sleep(50);
  }
  return {port, secret, stop: async () => {
    if (turn.exitCode !== null) return;
    const exited = new Promise((resolve) => turn.once('exit', resolve));
    turn.kill('SIGTERM');
    await exited;
  }};
}
