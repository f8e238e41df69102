// The bench's init script, run in every page before the app (bench/callsetup.py). It only
// observes: the first time each step of the call happens (epoch ms, the page's own clock),
// the peer connections for getStats(), and the first decoded frame of #remote-video. The
// Python side prepends `const RELAY = true|false, PROBE_RTP = true|false;`; RELAY forces
// iceTransportPolicy "relay" (the product is unchanged), PROBE_RTP polls getStats() from
// "connected" to the first frame to split that step (sender, network, receiver).
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const bench = window.__bench = {firstFrame: null, joinClick: null, joinNowClick: null,
    pcs: [], marks: {}};
  const mark = (name) => { if (!(name in bench.marks)) bench.marks[name] = now(); };
  const kind = (text) => {
    try {
      const frame = JSON.parse(text);
      if (frame.type !== 'signal') return frame.type;
      const data = frame.data || {};
      return 'signal:' + (data.description ? data.description.type :
        data.candidate ? 'candidate' : 'hello');
    } catch { return 'unparsed'; }
  };
  const NativeSocket = window.WebSocket;
  window.WebSocket = class extends NativeSocket {
    constructor(...args) {
      super(...args);
      mark('ws:connect');
      this.addEventListener('open', () => mark('ws:open'));
      this.addEventListener('message', ({data}) => mark('in:' + kind(data)));
    }
    send(text) { mark('out:' + kind(text)); return super.send(text); }
  };
  const media = navigator.mediaDevices;
  if (media) {
    const getUserMedia = media.getUserMedia.bind(media);
    media.getUserMedia = async (...args) => {
      mark('getUserMedia:start');
      try { return await getUserMedia(...args); } finally { mark('getUserMedia:done'); }
    };
  }
  // From "connected" until the first decoded frame: when the first video leaves this side
  // (framesEncoded, packetsSent), arrives (packetsReceived) and decodes (framesDecoded).
  const probe = async (pc) => {
    const until = now() + 3000;
    while (now() < until && pc.connectionState === 'connected') {
      for (const report of (await pc.getStats()).values()) {
        if (report.kind !== 'video') continue;
        if (report.type === 'outbound-rtp') {
          if (report.framesEncoded > 0) mark('rtp:first-frame-encoded');
          if (report.packetsSent > 0) mark('rtp:first-video-sent');
        } else if (report.type === 'inbound-rtp') {
          if (report.packetsReceived > 0) mark('rtp:first-video-received');
          if (report.framesDecoded > 0) mark('rtp:first-frame-decoded');
        }
      }
      if ('rtp:first-frame-decoded' in bench.marks && 'rtp:first-video-sent' in bench.marks) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const Native = window.RTCPeerConnection;
  if (Native) {
    const force = (config) => RELAY ? {...(config || {}), iceTransportPolicy: 'relay'} : config;
    class BenchPeerConnection extends Native {
      constructor(config, ...rest) {
        mark('pc:create');
        super(force(config), ...rest);
        bench.pcs.push(this);
        mark('pc:new');
        const watched = new Set();
        this.addEventListener('icecandidate', ({candidate}) => {
          if (candidate) mark('ice:first-local-candidate');
        });
        this.addEventListener('iceconnectionstatechange', () => mark('ice:' + this.iceConnectionState));
        this.addEventListener('signalingstatechange', () => {
          for (const sender of this.getSenders()) {
            const transport = sender.transport;
            if (!transport || watched.has(transport)) continue;
            watched.add(transport);
            transport.addEventListener('statechange', () => mark('dtls:' + transport.state));
          }
        });
        this.addEventListener('connectionstatechange', () => {
          mark('pc:' + this.connectionState);
          if (PROBE_RTP && this.connectionState === 'connected') probe(this);
        });
        this.addEventListener('track', () => mark('pc:track'));
      }
      setConfiguration(config) { return super.setConfiguration(force(config)); }
      setLocalDescription(...args) {
        mark('sdp:set-local:' + (this.signalingState === 'stable' ? 'offer' : 'answer'));
        return super.setLocalDescription(...args);
      }
    }
    window.RTCPeerConnection = BenchPeerConnection;
  }
  const seen = () => {
    if (bench.firstFrame === null) { bench.firstFrame = now(); mark('video:first-frame'); }
  };
  const watch = () => {
    const video = document.getElementById('remote-video');
    if (!video) return;
    const poll = () => {
      if (video.getVideoPlaybackQuality().totalVideoFrames > 0) seen();
      else requestAnimationFrame(poll);
    };
    poll();
    if (!('requestVideoFrameCallback' in video)) return;
    // The first frame's own times (ms, this page's clock): when its last packet arrived
    // (receiveTime) and when it went to the screen; its size shows a start at low resolution.
    video.requestVideoFrameCallback((at, frame) => {
      seen();
      const epoch = (ms) => (ms ? performance.timeOrigin + ms : null);
      if (frame.receiveTime) bench.marks['video:first-frame-received'] = epoch(frame.receiveTime);
      bench.firstFrameMeta = {width: frame.width, height: frame.height,
        receiveTime: epoch(frame.receiveTime), presentationTime: epoch(frame.presentationTime),
        captureTime: epoch(frame.captureTime)};
    });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch);
  else watch();
  document.addEventListener('click', (event) => {
    const target = event.target.closest ? event.target : null;
    if (target?.closest('#join')) { bench.joinClick = now(); mark('join:click'); }
    if (target?.closest('#join-now')) { bench.joinNowClick = now(); mark('join-now:click'); }
  }, true);
})();
