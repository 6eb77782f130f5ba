// UniMatch's browser client: the entry point, and the only module that does
// anything when it is imported. It builds the page's parts, wires them
// together and starts them. The client uses only the public REST API
// (api.js) and the WebSocket (socket.js), so it doubles as an example for
// other client teams.
//
// Two views share the page: the landing view (log in / register / reset
// the password, landing.js) and the dashboard (match with "did you meet?",
// history, block list, profile, hobbies, Telegram, dashboard.js). The countdown is on both. A mailed
// reset link (/password-reset/<uid>/<token>) opens the page on the
// new-password form.

import { api, onSessionEnded, refreshTokens, tokens, useV2Base } from "./api.js";
import { BlockList } from "./blocks.js";
import { ConnectionStatus } from "./connection-status.js";
import { Countdown } from "./countdown.js";
import { Dashboard } from "./dashboard.js";
import { FeedbackControl } from "./feedback.js";
import { Landing } from "./landing.js";
import { MatchBoard } from "./match-board.js";
import { resetLinkFromPath } from "./password-reset.js";
import { LiveSocket } from "./socket.js";

useV2Base(document.body.dataset.v2Base || "/v2/");

const countdown = new Countdown(document.querySelector("#countdown"));
const connection = new ConnectionStatus(document.querySelector("#connection"));
const blocks = new BlockList(document.querySelector("#blocks-section"),
  document.querySelector("#history"));
const feedback = new FeedbackControl();
// "Did you meet?" on the current pair, "don't match me again" in the history.
const matches = new MatchBoard({
  current: (card, pair) => feedback.decorateCard(card, pair),
  history: (item, pair) => blocks.decorateHistory(item, pair),
});

const socket = new LiveSocket({
  getToken: () => tokens.access,
  onMessage: handleSocketMessage,
  onState: (state) => connection.show(state),
  // A 4401 close means the access token expired: same rule as for REST,
  // refresh once and retry; when that fails, back to the log-in form.
  onAuthRejected: refreshTokens,
  onSessionLost: () => {
    tokens.clear();
    sessionEnded();
  },
});

const landing = new Landing({
  onLoggedIn: (entry) => {
    socket.restart(); // re-authenticate the socket as this user
    return enterDashboard(entry);
  },
  // The reset ended every session of the account, this tab's included.
  onPasswordChanged: () => socket.restart(),
});

const dashboard = new Dashboard({
  matches,
  blocks,
  botUsername: document.body.dataset.botUsername || "",
  onLoggedOut: () => {
    showLanding({ focus: true });
    socket.restart(); // the socket must stop getting this user's alerts
  },
});

// ---------------------------------------------------------------- views

/** Show exactly one of the two views. */
function showLanding(options) {
  dashboard.leave();
  landing.show(options);
}

function enterDashboard(options) {
  landing.hide();
  return dashboard.enter(options);
}

/** The refresh token was refused (expired, revoked): log in again. */
function sessionEnded() {
  if (landing.shown) return; // already there
  showLanding({ message: "Сессия истекла, войдите снова." });
  socket.restart();
}

// ---------------------------------------------------------------- live

function handleSocketMessage(message) {
  switch (message.type) {
    case "tick":
      countdown.sync(message);
      break;
    case "auth_ok":
      matches.socketAuthed();
      connection.markAuthed();
      break;
    case "match":
      // Kept even while the dashboard is still loading: it merges what it
      // fetches with what arrived meanwhile.
      if (tokens.access) matches.alerted(message.pairs || []);
      break;
    default:
      break; // unknown types are ignored, so the server can add new ones
  }
}

// ---------------------------------------------------------------- start

function start() {
  onSessionEnded(sessionEnded);
  tokens.dropLegacy();

  // Another tab logged in or out: follow it, so the tabs never disagree on
  // who is logged in (they share the access token in localStorage, and the
  // refresh cookie).
  window.addEventListener("storage", (event) => {
    if (event.key !== tokens.storageKey && event.key !== null) return;
    const loggedIn = Boolean(tokens.access);
    if (loggedIn && !dashboard.user) {
      enterDashboard();
      socket.restart();
    } else if (!loggedIn && dashboard.user) {
      showLanding();
      socket.restart();
    }
  });

  countdown.start();
  socket.start();
  // The socket sends a tick at once; if it cannot connect, show the REST
  // countdown (minute precision) rather than dashes.
  setTimeout(async () => {
    if (countdown.synced) return;
    try {
      const data = await api.countdown();
      if (!countdown.synced) countdown.sync(data);
    } catch {
      // Offline as well: the status line already says so.
    }
  }, 2000);

  // A reset link shows its form even to a logged-in user: the link may be
  // for another account, and the form needs no session.
  const resetLink = resetLinkFromPath(location.pathname);
  if (resetLink) {
    showLanding({ resetLink });
  } else if (tokens.access) {
    enterDashboard();
  } else {
    showLanding();
  }
}

start();
