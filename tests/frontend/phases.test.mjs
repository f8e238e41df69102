import assert from 'node:assert/strict';
import {test} from 'node:test';

import {TRANSITIONS, nextPhase} from '../../frontend/js/phases.js';

test('every move in the table leads to a phase of the table', () => {
  for (const [from, moves] of Object.entries(TRANSITIONS)) {
    for (const to of moves) assert.ok(Object.hasOwn(TRANSITIONS, to), `${from} → ${to}`);
  }
});

test('a move the table has is made; one it lacks is a bug and throws', () => {
  assert.equal(nextPhase('lobby', 'joining'), 'joining');
  assert.equal(nextPhase('joining', 'in-room'), 'in-room');
  assert.throws(() => nextPhase('in-room', 'lobby'), /no move from in-room to lobby/);
  assert.throws(() => nextPhase('home', 'in-room'), /no move/);
  assert.throws(() => nextPhase('nowhere', 'home'), /no move/);
});

test('a call can only end through `ended`, and only a call in progress can be seated', () => {
  const into = (phase) => Object.keys(TRANSITIONS)
    .filter((from) => TRANSITIONS[from].includes(phase));
  assert.deepEqual(into('in-room'), ['joining']);
  assert.deepEqual(TRANSITIONS['in-room'], ['ended']);
  assert.deepEqual(TRANSITIONS.joining.sort(), ['ended', 'in-room']);
});
