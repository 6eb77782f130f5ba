// The connection status line in the header ("На связи" and so on). It is an
// aria-live region, so it only changes when the state does (not on every
// retry or message). The words sit in a span of their own: on a phone the
// usual "На связи" shrinks to its green dot (style.css), still read aloud.

const TEXT = {
  connecting: "Подключаемся…",
  online: "На связи",
  offline: "Нет соединения, переподключаемся…",
};

export class ConnectionStatus {
  /** @param {HTMLElement} el  the status line; its data-state says the state */
  constructor(el) {
    this.el = el;
    this.text = el.querySelector(".connection-text");
  }

  /** Show the socket's state.
   *  @param {"connecting"|"online"|"offline"} state */
  show(state) {
    // data-auth="ok" marks a socket the server has accepted our token on
    // (set on auth_ok); any new connection starts without it.
    if (state !== "online") delete this.el.dataset.auth;
    if (this.el.dataset.state === state) return;
    this.el.dataset.state = state;
    this.text.textContent = TEXT[state];
  }

  /** The server accepted our token on the current connection. */
  markAuthed() {
    this.el.dataset.auth = "ok";
  }
}
