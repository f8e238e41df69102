// Run in a page by the browser tests (Python and crossbrowser alike): from now on, the
// page's WebSocket frames whose text contains `match` leave `ms` late, the others at once.
// For races the network decides in the field (which of two messages arrives first).
(match, ms) => {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (typeof data === 'string' && data.includes(match)) {
      setTimeout(() => send.call(this, data), ms);
    } else {
      send.call(this, data);
    }
  };
}
