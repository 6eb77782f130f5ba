// The current match and the history as the dashboard shows them, kept live:
// pairs come from the REST API when the dashboard loads and from the
// socket's alerts while it is open. Those that arrive live are highlighted
// and announced. (The pure list logic and the rendering are in matches.js.)

import { api } from "./api.js";
import { personName } from "./format.js";
import { mergePairs, renderPairs } from "./matches.js";

const PAGE_TITLE = "UniMatch — знакомства по интересам";
// Every open page gets its alert in the same second: each asks the API
// again at a random moment within this spread (ms), not all at once.
const REFETCH_SPREAD = 3000;

export class MatchBoard {
  /** Works on #current-match, #history, #history-empty and #match-announcer.
   *  @param {{current: (card: HTMLElement, pair: object) => void,
   *           history: (item: HTMLElement, pair: object) => void}} decorate
   *    what is added to each current card and history item (renderPairs) */
  constructor(decorate) {
    this.decorate = decorate;
    this.el = {
      currentEl: document.querySelector("#current-match"),
      historyEl: document.querySelector("#history"),
      historyEmptyEl: document.querySelector("#history-empty"),
    };
    this.announcer = document.querySelector("#match-announcer");
    this.refetchTimer = null;
    this.forget();
    // A match that arrived in a background tab marks the tab's title.
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) document.title = PAGE_TITLE;
    });
  }

  /** @private What the board knows. `pairs` is newest first; `newIds` are
   *  the pairs that arrived live since the page was loaded (highlighted). */
  forget() {
    this.pairs = [];
    this.loaded = false;
    this.newIds = new Set();
    this.socketAuthedBefore = false;
  }

  /** Forget every pair and empty the sections (on log-out). */
  clear() {
    clearTimeout(this.refetchTimer);
    this.forget();
    // Nothing of the previous user may flash up when the next one logs in.
    this.el.currentEl.replaceChildren();
    this.el.historyEl.replaceChildren();
    this.announcer.textContent = "";
  }

  /** The pairs from the REST API, merged with any that arrived live while
   *  they were being fetched. */
  load(pairs) {
    this.pairs = mergePairs(this.pairs, pairs);
    this.loaded = true;
    renderPairs(this.el, this.pairs, this.newIds, this.decorate);
  }

  /** Pairs arrived (alert or reload): new ones are shown at once,
   *  highlighted. A pair the page already shows keeps its card unless
   *  `replace` (the REST API's fuller item) changed it: every render
   *  rebuilds the cards, and with them whatever the student is doing there
   *  (a block being confirmed, the focus on an answer). An alert's item
   *  never replaces: it lacks the Telegram nick and the student's answer. */
  receive(pairs, { replace = true } = {}) {
    const known = new Map(this.pairs.map((p) => [p.id, p]));
    const fresh = pairs.filter((p) => !known.has(p.id));
    const changed = replace && pairs.some((p) =>
      known.has(p.id) && JSON.stringify(p) !== JSON.stringify(known.get(p.id)));
    if (!fresh.length && !changed) return;
    this.pairs = mergePairs(this.pairs, replace ? pairs : fresh);
    for (const pair of fresh) this.newIds.add(pair.id);
    renderPairs(this.el, this.pairs, this.newIds, this.decorate);
    if (fresh.length) {
      const names = fresh.map((p) => personName(p.partner)).join(" и ");
      this.announcer.textContent = `Новая пара! Знакомьтесь: ${names}.`;
      if (document.hidden) document.title = "★ Новая пара — UniMatch";
    }
  }

  /** A socket alert: its pairs are shown at once, then fetched from the
   *  REST API, whose items also carry the partner's Telegram. */
  alerted(pairs) {
    this.receive(pairs, { replace: false });
    clearTimeout(this.refetchTimer);
    this.refetchTimer = setTimeout(() => this.reload(), Math.random() * REFETCH_SPREAD);
  }

  /** The socket was accepted as this user (again). */
  socketAuthed() {
    // Alerts sent while we were disconnected are lost: after a reconnect,
    // fetch the pairs again so a round we missed still shows up.
    if (this.socketAuthedBefore && this.loaded) this.reload();
    this.socketAuthedBefore = true;
  }

  /** @private */
  async reload() {
    try {
      this.receive(await api.pairs());
    } catch {
      // Not worth an error banner: the next reconnect tries again.
    }
  }
}
