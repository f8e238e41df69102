// What this tab remembers across a reload (sessionStorage: this tab only, never
// localStorage): each meeting's resume token, so a reload takes its seat back, and the name.

const NAME_KEY = 'visavis.name';
const resumeKey = (room) => `visavis.resume.${room}`;

export class SeatStore {
  #storage;

  /**
   * @param {() => Storage} storage returns the Storage; reading it may throw (blocked
   *   storage), and then the call still works, only without resume and name
   */
  constructor(storage) {
    this.#storage = storage;
  }

  /** @param {string} room @returns {string|null} */
  resumeToken(room) {
    return this.#use((s) => s.getItem(resumeKey(room)));
  }

  /** @param {string} room @param {string} token `joined.resume` */
  saveResume(room, token) {
    this.#use((s) => s.setItem(resumeKey(room), token));
  }

  /** @param {string} room */
  forgetResume(room) {
    this.#use((s) => s.removeItem(resumeKey(room)));
  }

  /** The name given in the lobby last time, or null. @returns {string|null} */
  get name() {
    return this.#use((s) => s.getItem(NAME_KEY));
  }

  /** An empty name is forgotten. @param {string} name */
  set name(name) {
    this.#use((s) => (name ? s.setItem(NAME_KEY, name) : s.removeItem(NAME_KEY)));
  }

  #use(action) {
    try {
      return action(this.#storage());
    } catch {
      return null;
    }
  }
}
