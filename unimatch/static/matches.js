// The current match and the history, from the REST API's pairs and the
// socket's match alerts. Both have the item shape
// {id, partner: {id, first_name, last_name, email}, created_at, round, common_hobbies};
// REST's partner also has `tg_link` (alerts lack it: match-board.js fetches it).
//
// The current match is every entry of the newest round (a trio gives two
// entries, one per partner); the history is the rest. What a person can do
// about a pair ("did you meet?", feedback.js; "don't match me again",
// blocks.js) is added by the board's `decorate` hooks after each render.

import { formatDay, personName } from "./format.js";
import { telegramUrl } from "./telegram-nick.js";

/** Which round an item belongs to. The contract only gives the date, so two
 *  rounds on one day look like one; should the server add the round number
 *  (an allowed extra key) we use it. */
function roundOf(pair) {
  return Number.isInteger(pair.round) ? `${pair.created_at}#${String(pair.round).padStart(12, "0")}`
    : pair.created_at;
}

/** Split a list into the current round and the older ones. */
export function splitCurrent(pairs) {
  if (pairs.length === 0) return { current: [], history: [] };
  const newest = pairs.map(roundOf).reduce((max, key) => (key > max ? key : max));
  return {
    current: pairs.filter((p) => roundOf(p) === newest),
    history: pairs.filter((p) => roundOf(p) !== newest),
  };
}

/** `incoming` merged into `known`, newest first, each pair id once. */
export function mergePairs(known, incoming) {
  const byId = new Map(known.map((p) => [p.id, p]));
  for (const pair of incoming) byId.set(pair.id, pair);
  // ISO dates compare as strings; within a day the higher id is newer.
  return [...byId.values()].sort((a, b) =>
    (a.created_at === b.created_at ? b.id - a.id : (a.created_at < b.created_at ? 1 : -1)));
}

function text(tag, className, content) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  el.textContent = content;
  return el;
}

/** A card for one partner of the current round. */
function matchCard(pair, isNew) {
  const card = document.createElement("article");
  card.className = "match" + (isNew ? " is-new" : "");
  card.dataset.pairId = String(pair.id);
  if (isNew) card.append(text("span", "badge", "Новая пара"));
  card.append(text("h3", "match-name", personName(pair.partner)));

  const email = document.createElement("a");
  email.className = "match-email";
  email.href = `mailto:${pair.partner.email}`;
  email.textContent = pair.partner.email;
  card.append(email);

  const telegram = telegramUrl(pair.partner.tg_link);
  if (telegram) {
    const link = document.createElement("a");
    link.className = "match-telegram";
    link.href = telegram;
    // A new tab: this page stays open for the next round's alert.
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = `Telegram: ${pair.partner.tg_link}`;
    card.append(link);
  }

  const common = pair.common_hobbies || [];
  card.append(text("p", "match-common", common.length
    ? `Общие интересы: ${common.join(", ")}`
    : "Общих интересов в анкетах нет — тем интереснее познакомиться."));
  card.append(text("p", "match-date", `Пара с ${formatDay(pair.created_at)}`));
  return card;
}

function historyItem(pair, isNew) {
  const item = document.createElement("li");
  item.className = "history-item" + (isNew ? " is-new" : "");
  item.dataset.pairId = String(pair.id);
  item.dataset.partnerId = String(pair.partner.id);
  const date = document.createElement("time");
  date.dateTime = pair.created_at;
  date.textContent = formatDay(pair.created_at);
  item.append(date, text("span", "history-name", personName(pair.partner)));
  return item;
}

const NO_HOOKS = { current: () => {}, history: () => {} };

/** Render the current match into `currentEl` and the rest into
 *  `historyEl` (an <ol>); pairs whose ids are in `newIds` are highlighted.
 *  `decorate.current(card, pair)` and `decorate.history(item, pair)` may
 *  add to each element once it is built. */
export function renderPairs({ currentEl, historyEl, historyEmptyEl }, pairs, newIds = new Set(),
  decorate = NO_HOOKS) {
  const { current, history } = splitCurrent(pairs);
  if (current.length === 0) {
    currentEl.replaceChildren(text("p", "empty",
      "Пары пока нет. Она появится здесь сама в момент раунда — страницу обновлять не нужно."));
  } else {
    currentEl.replaceChildren(...current.map((p) => {
      const card = matchCard(p, newIds.has(p.id));
      decorate.current(card, p);
      return card;
    }));
  }
  historyEl.replaceChildren(...history.map((p) => {
    const item = historyItem(p, newIds.has(p.id));
    decorate.history(item, p);
    return item;
  }));
  historyEl.hidden = history.length === 0;
  historyEmptyEl.hidden = history.length !== 0;
}
