// tests/shared/protocol-facts.json: the protocol facts the server's tests check too.
import {readFileSync} from 'node:fs';

export const protocolFacts = JSON.parse(readFileSync(
  new URL('../shared/protocol-facts.json', import.meta.url), 'utf8'));
