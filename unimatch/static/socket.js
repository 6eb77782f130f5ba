// The live connection: countdown ticks for everyone, match alerts for the
// logged-in user. It reconnects by itself with exponential backoff and
// jitter, so that a server restart does not get every phone reconnecting in
// the same instant.
//
// Protocol (see docs/openapi.yaml, "WebSocket"): the server sends
// {"type": "tick", ...} at once and then every second; we authenticate with
// a first message {"type": "auth", "token"} (keeping the token out of URLs
// and access logs), answered {"type": "auth_ok"}; an authenticated socket
// also gets {"type": "match", "pairs": [...]}. A bad token closes the socket
// with code 4401.

const CLOSE_BAD_TOKEN = 4401;
const FIRST_DELAY = 1000; // ms
const MAX_DELAY = 30000; // ms
// A phone that changed networks can keep a half-open connection for minutes
// without the browser noticing. Ticks normally arrive every second; after
// this much silence we ping, and without an answer to the ping in
// PONG_TIMEOUT we give the connection up and reconnect.
const QUIET_BEFORE_PING = 3000; // ms
const PONG_TIMEOUT = 5000; // ms

/** The socket URL on the page's own origin. */
export function socketUrl() {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws/`;
}

export class LiveSocket {
  /**
   * @param {object} hooks
   * @param {() => string|null} hooks.getToken  the access token, or null when logged out
   * @param {(message: object) => void} hooks.onMessage  every message but pongs
   * @param {(state: "connecting"|"online"|"offline", retryInMs?: number) => void} hooks.onState
   * @param {() => Promise<boolean>} hooks.onAuthRejected  refresh the token after a 4401;
   *   resolves true to reconnect with the new one, false when there is none
   * @param {() => void} hooks.onSessionLost  the token is refused for good
   */
  constructor({ getToken, onMessage, onState, onAuthRejected, onSessionLost }) {
    this.getToken = getToken;
    this.onMessage = onMessage;
    this.onState = onState;
    this.onAuthRejected = onAuthRejected;
    this.onSessionLost = onSessionLost;
    this.ws = null;
    this.attempt = 0; // consecutive failed connections, for the backoff
    this.retryTimer = null;
    this.watchdog = null;
    this.lastMessageAt = 0;
    this.pingSentAt = null;
    this.sentToken = null; // the token the current socket authenticated with
    this.refreshedForSocket = false; // one refresh per rejection, as for REST
    this.stopped = true;
    this.generation = 0; // bumped whenever the current socket is replaced
    this.waiting = false; // a reconnect is scheduled (backoff delay running)
  }

  start() {
    this.stopped = false;
    // Come back at once when the phone regains network or the tab is shown
    // again, instead of waiting out the backoff.
    window.addEventListener("online", () => this.retryNowIfWaiting());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.retryNowIfWaiting();
    });
    this.connect();
  }

  /** @private While waiting out a backoff delay (no socket), retry now. */
  retryNowIfWaiting() {
    if (this.waiting) this.reconnectNow();
  }

  /** Drop the current connection and open a new one (after log-in or
   *  log-out, so the server knows who is listening). */
  restart() {
    this.refreshedForSocket = false;
    this.reconnectNow();
  }

  reconnectNow() {
    if (this.stopped) return;
    this.attempt = 0;
    this.connect();
  }

  isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** @private */
  connect() {
    this.teardown();
    this.waiting = false;
    this.onState(this.attempt === 0 ? "connecting" : "offline");
    let ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (ws !== this.ws) return;
      const token = this.getToken();
      this.sentToken = token;
      if (token) this.send({ type: "auth", token });
      this.lastMessageAt = performance.now();
      this.pingSentAt = null;
      this.watchdog = setInterval(() => this.checkSilence(), 1000);
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this.ws) return;
      this.handleMessage(event.data);
    });
    ws.addEventListener("close", (event) => {
      if (ws !== this.ws) return; // a socket we replaced on purpose
      this.handleClose(event);
    });
    // "error" is always followed by "close"; nothing to do here.
  }

  /** @private */
  handleMessage(raw) {
    this.lastMessageAt = performance.now();
    this.pingSentAt = null;
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (!message || typeof message !== "object") return;
    // A message proves the connection works: reset the backoff, and say so
    // only now (a server that accepts and then drops us is not online).
    this.attempt = 0;
    this.onState("online");
    if (message.type === "auth_ok") this.refreshedForSocket = false;
    if (message.type === "pong") return;
    this.onMessage(message);
  }

  /** @private */
  async handleClose(event) {
    this.teardown();
    if (this.stopped) return;
    if (event.code === CLOSE_BAD_TOKEN && this.getToken() && this.getToken() !== this.sentToken) {
      // A REST call has refreshed the token meanwhile: just use the new one.
      this.connect();
      return;
    }
    if (event.code === CLOSE_BAD_TOKEN && this.getToken()) {
      // Expired access token: refresh once and retry, as REST does. A
      // second rejection right after a refresh means the session is gone.
      if (!this.refreshedForSocket) {
        this.refreshedForSocket = true;
        const generation = this.generation;
        let refreshed = false;
        try {
          refreshed = await this.onAuthRejected();
        } catch {
          if (generation !== this.generation) return;
          // The refresh request itself failed (network): back off and retry.
          this.refreshedForSocket = false;
          this.scheduleReconnect();
          return;
        }
        // The app may have restarted us meanwhile (log-in form, log-out).
        if (generation !== this.generation) return;
        if (refreshed) {
          this.connect();
          return;
        }
      }
      // Refused even with a fresh token, or no fresh token to be had: the
      // session is over. Carry on anonymously (ticks only).
      const generation = this.generation;
      this.onSessionLost();
      if (generation !== this.generation) return; // the app restarted us
    }
    this.scheduleReconnect();
  }

  /** @private Exponential backoff with "equal jitter": half the delay is
   *  fixed, half random, so clients spread out but none retries at once. */
  scheduleReconnect() {
    const base = Math.min(MAX_DELAY, FIRST_DELAY * 2 ** this.attempt);
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempt += 1;
    this.onState("offline", delay);
    clearTimeout(this.retryTimer);
    this.waiting = true;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** @private */
  checkSilence() {
    if (!this.isOpen()) return;
    const now = performance.now();
    if (this.pingSentAt === null) {
      if (now - this.lastMessageAt > QUIET_BEFORE_PING) {
        this.pingSentAt = now;
        this.send({ type: "ping" });
      }
    } else if (now - this.pingSentAt > PONG_TIMEOUT) {
      this.teardown(); // the dead socket's own handlers are detached here
      this.scheduleReconnect();
    }
  }

  /** @private Forget the current socket without triggering its handlers. */
  teardown() {
    this.generation += 1;
    clearInterval(this.watchdog);
    this.watchdog = null;
    clearTimeout(this.retryTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, "reconnecting");
  }

  send(message) {
    if (this.isOpen()) this.ws.send(JSON.stringify(message));
  }
}
