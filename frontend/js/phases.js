// The call's phases and the moves between them, as one table (session.js moves through it).

/**
 * @typedef {'home'|'lobby'|'joining'|'in-room'|'ended'|'left'} Phase
 * home: the start page; lobby: preview before joining; joining: asking the server for a
 * seat; in-room: seated, with or without the other person; ended: the attempt or the call
 * is over (an error may say why); left: hung up.
 */

/** Each phase and the phases it may move to. @type {Readonly<Record<Phase, Phase[]>>} */
export const TRANSITIONS = Object.freeze({
  'home': ['home', 'lobby', 'joining'],
  'lobby': ['lobby', 'joining', 'ended'],
  'joining': ['in-room', 'ended'],
  'in-room': ['ended'],
  'ended': ['ended', 'home', 'lobby', 'left'],
  'left': ['home', 'lobby', 'joining'],
});

/**
 * The phase after moving from `from` to `to`.
 * @param {Phase} from @param {Phase} to
 * @returns {Phase} `to`
 * @throws {Error} when the table has no such move: a bug in the caller
 */
export function nextPhase(from, to) {
  if (!TRANSITIONS[from]?.includes(to)) throw new Error(`visavis: no move from ${from} to ${to}`);
  return to;
}

/** True while a call is under way: asking for a seat, or seated. @param {Phase} phase */
export const inCall = (phase) => phase === 'joining' || phase === 'in-room';
