import assert from 'node:assert/strict';
import {test} from 'node:test';

import {SeatStore} from '../../frontend/js/seat-store.js';
import {FakeStorage} from './fakes.mjs';

test('the seat store keeps resume tokens per meeting and the name; blocked storage is no error',
  () => {
    const storage = new FakeStorage();
    const seats = new SeatStore(() => storage);
    seats.saveResume('abcd-efgh-jkmn', 'token-1');
    seats.name = 'Ada';
    assert.equal(seats.resumeToken('abcd-efgh-jkmn'), 'token-1');
    assert.equal(seats.resumeToken('zyxw-vuts-rqpn'), null);
    assert.equal(seats.name, 'Ada');
    seats.forgetResume('abcd-efgh-jkmn');
    seats.name = '';
    assert.deepEqual([...storage.items], []);

    const blocked = new SeatStore(() => {
      throw new Error('SecurityError');
    });
    blocked.saveResume('abcd-efgh-jkmn', 'token-1');
    assert.equal(blocked.resumeToken('abcd-efgh-jkmn'), null);
  });
