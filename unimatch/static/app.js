// UniMatch's browser client: the page's controller. It uses only the public
// REST API (api.js) and the WebSocket (socket.js), so it doubles as an
// example for other client teams.
//
// Two views share the page: the landing view (log in / register) and the
// dashboard (match, history, profile, hobbies, Telegram). The countdown is
// on both.

import { api, onSessionEnded, refreshTokens, SessionEnded, tokens } from "./api.js";
import { Countdown } from "./countdown.js";
import {
  busy, checkedIds, clearErrors, clearFieldError, focusFirstInvalid, renderHobbyChoices,
  showApiError, showFieldError, showFormError,
} from "./forms.js";
import { mergePairs, renderPairs } from "./matches.js";
import { apiDateToInput, dateInputToApi, personName } from "./format.js";
import { describeError } from "./server-messages.js";
import { LiveSocket } from "./socket.js";
import { TelegramLink } from "./telegram.js";

const $ = (selector) => document.querySelector(selector);

const el = {
  connection: $("#connection"),
  account: $("#account"),
  accountName: $("#account-name"),
  pageTitle: $("#page-title"),
  pageError: $("#page-error"),
  landing: $("#view-landing"),
  dashboard: $("#view-dashboard"),
  loginSection: $("#login-section"),
  registerSection: $("#register-section"),
  loginForm: $("#login-form"),
  registerForm: $("#register-form"),
  profileForm: $("#profile-form"),
  participationForm: $("#participation-form"),
  activePair: $("#active-pair"),
  hobbiesForm: $("#hobbies-form"),
  matchAnnouncer: $("#match-announcer"),
  pairs: {
    currentEl: $("#current-match"),
    historyEl: $("#history"),
    historyEmptyEl: $("#history-empty"),
  },
};

/** What the page knows. `pairs` is newest first; `newIds` are the pairs
 *  that arrived live since the page was loaded (highlighted). */
const state = {
  user: null,
  pairs: [],
  pairsLoaded: false,
  newIds: new Set(),
  socketAuthedBefore: false,
};

const countdown = new Countdown($("#countdown"));
const telegram = new TelegramLink($("#telegram-section"), document.body.dataset.botUsername || "",
  (user) => showUser(user));

const socket = new LiveSocket({
  getToken: () => tokens.access,
  onMessage: handleSocketMessage,
  onState: showConnection,
  // A 4401 close means the access token expired: same rule as for REST,
  // refresh once and retry; when that fails, back to the log-in form.
  onAuthRejected: refreshTokens,
  onSessionLost: () => {
    tokens.clear();
    sessionEnded();
  },
});

// ---------------------------------------------------------------- views

function showLanding(form = "login", message = "") {
  state.user = null;
  state.pairs = [];
  state.pairsLoaded = false;
  state.newIds = new Set();
  state.socketAuthedBefore = false;
  document.body.dataset.view = "landing";
  el.dashboard.hidden = true;
  el.account.hidden = true;
  // Nothing of the previous user may flash up when the next one logs in.
  el.pairs.currentEl.replaceChildren();
  el.pairs.historyEl.replaceChildren();
  el.matchAnnouncer.textContent = "";
  el.pageError.hidden = true;
  telegram.reset();
  el.landing.hidden = false;
  el.pageTitle.textContent = "Знакомства по интересам, раз в неделю";
  showForm(form, { focus: false });
  clearErrors(el.loginForm);
  if (message) showFormError(el.loginForm, message);
  loadRegisterHobbies();
}

/** Show the log-in or the register form; `focus` moves the keyboard focus
 *  to its heading, so a screen reader announces the switch. */
function showForm(which, { focus = true } = {}) {
  el.loginSection.hidden = which !== "login";
  el.registerSection.hidden = which !== "register";
  if (focus) $(which === "login" ? "#login-title" : "#register-title").focus();
}

function showDashboard() {
  document.body.dataset.view = "dashboard";
  el.landing.hidden = true;
  el.dashboard.hidden = false;
  el.account.hidden = false;
}

function showPageError(message, retry) {
  el.pageError.querySelector('[data-role="text"]').textContent = message;
  el.pageError.querySelector('[data-action="retry"]').onclick = () => {
    el.pageError.hidden = true;
    retry();
  };
  el.pageError.hidden = false;
}

const CONNECTION_TEXT = {
  connecting: "Подключаемся…",
  online: "На связи",
  offline: "Нет соединения, переподключаемся…",
};

/** The connection status line. It is an aria-live region, so it only
 *  changes when the state does (not on every retry or message). */
function showConnection(connectionState) {
  // data-auth="ok" marks a socket the server has accepted our token on
  // (set on auth_ok); any new connection starts without it.
  if (connectionState !== "online") delete el.connection.dataset.auth;
  if (el.connection.dataset.state === connectionState) return;
  el.connection.dataset.state = connectionState;
  el.connection.textContent = CONNECTION_TEXT[connectionState];
}

// ---------------------------------------------------------------- landing

let registerHobbiesLoaded = false;

/** The hobby list is public, so the register form can offer it. */
async function loadRegisterHobbies() {
  if (registerHobbiesLoaded) return;
  const container = el.registerForm.querySelector('[data-role="hobby-choices"]');
  try {
    renderHobbyChoices(container, await api.allHobbies(), [], "reg-hobby");
    registerHobbiesLoaded = true;
  } catch (error) {
    container.textContent = `${describeError(error)} Интересы можно будет выбрать после регистрации.`;
  }
}

el.loginForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = el.loginForm;
  clearErrors(form);
  const email = form.elements.email.value.trim();
  const password = form.elements.password.value;
  if (!email) showFieldError(form, "email", ["Введите email."]);
  if (!password) showFieldError(form, "password", ["Введите пароль."]);
  if (!email || !password) return focusFirstInvalid(form);
  await busy(form, async () => {
    try {
      await api.logIn(email, password);
    } catch (error) {
      showApiError(form, error);
      return;
    }
    form.reset();
    socket.restart(); // re-authenticate the socket as this user
    await enterDashboard({ focus: true });
  });
});

el.registerForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = el.registerForm;
  clearErrors(form);
  const f = form.elements;
  const fields = {
    email: f.email.value.trim(),
    password: f.password.value,
    first_name: f.first_name.value.trim(),
    last_name: f.last_name.value.trim(),
    birth: dateInputToApi(f.birth.value),
    hobby: checkedIds(form, "hobby"),
  };
  // What the browser can tell without asking the server.
  const problems = [];
  if (!fields.email) problems.push(["email", "Введите email."]);
  if (!fields.password) problems.push(["password", "Придумайте пароль."]);
  if (fields.password && f.password2.value !== fields.password) {
    problems.push(["password2", "Пароли не совпадают."]);
  }
  if (!fields.first_name) problems.push(["first_name", "Введите имя: его увидит ваша пара."]);
  if (f.birth.value && !fields.birth) problems.push(["birth", "Неверная дата."]);
  if (problems.length) {
    for (const [field, message] of problems) showFieldError(form, field, [message]);
    return focusFirstInvalid(form);
  }
  await busy(form, async () => {
    let user;
    try {
      user = await api.register(fields);
    } catch (error) {
      showApiError(form, error);
      return;
    }
    form.reset();
    socket.restart();
    await enterDashboard({ user, focus: true });
  });
});

// An error message goes away as soon as the user edits its field.
for (const form of [el.loginForm, el.registerForm, el.profileForm, el.hobbiesForm]) {
  form.addEventListener("input", (event) => clearFieldError(form, event.target.name));
}

for (const button of document.querySelectorAll("[data-show-form]")) {
  button.addEventListener("click", () => showForm(button.dataset.showForm));
}

// ---------------------------------------------------------------- dashboard

/** Load everything the dashboard shows. */
async function enterDashboard({ user = null, focus = false } = {}) {
  showDashboard();
  if (user) showUser(user);
  try {
    const [me, total, pairs] = await Promise.all([
      user ? Promise.resolve(user) : api.me(), api.hobbyTotal(), api.pairs(),
    ]);
    showUser(me);
    renderHobbyChoices(el.hobbiesForm.querySelector('[data-role="hobby-choices"]'),
      total.all_tags, total.user_tags.map((h) => h.id), "my-hobby");
    state.pairs = mergePairs(state.pairs, pairs);
    state.pairsLoaded = true;
    renderPairs(el.pairs, state.pairs, state.newIds);
  } catch (error) {
    if (error instanceof SessionEnded) return; // sessionEnded() took over
    showPageError(`Не удалось загрузить данные. ${describeError(error)}`,
      () => enterDashboard({ focus }));
    return;
  }
  if (focus) el.pageTitle.focus();
}

/** Put the user object's fields on the page. */
function showUser(user) {
  state.user = user;
  const name = personName(user);
  el.accountName.textContent = name;
  el.pageTitle.textContent = `Привет, ${user.first_name || name}!`;
  $("#profile-email").textContent = user.email;
  const f = el.profileForm.elements;
  f.first_name.value = user.first_name || "";
  f.last_name.value = user.last_name || "";
  f.birth.value = apiDateToInput(user.birth);
  el.activePair.checked = user.is_active_pair !== false;
  telegram.render(user);
}

function flashSaved(form, text) {
  const slot = form.querySelector('[data-role="saved"]');
  slot.textContent = text;
  clearTimeout(slot.timer);
  slot.timer = setTimeout(() => { slot.textContent = ""; }, 4000);
}

el.profileForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = el.profileForm;
  clearErrors(form);
  const f = form.elements;
  const birth = dateInputToApi(f.birth.value);
  if (f.birth.value && !birth) {
    showFieldError(form, "birth", ["Неверная дата."]);
    return focusFirstInvalid(form);
  }
  await busy(form, async () => {
    try {
      showUser(await api.updateMe({
        first_name: f.first_name.value.trim(),
        last_name: f.last_name.value.trim(),
        birth,
      }));
      flashSaved(form, "Профиль сохранён.");
    } catch (error) {
      if (!(error instanceof SessionEnded)) showApiError(form, error);
    }
  });
});

el.activePair.addEventListener("change", async () => {
  const form = el.participationForm;
  const wanted = el.activePair.checked;
  clearErrors(form);
  el.activePair.disabled = true;
  try {
    showUser(await api.updateMe({ is_active_pair: wanted }));
    flashSaved(form, wanted
      ? "Вы участвуете в следующем раунде."
      : "Вы не участвуете в раундах, пока не включите снова.");
  } catch (error) {
    el.activePair.checked = !wanted; // the server did not change it
    if (!(error instanceof SessionEnded)) showApiError(form, error);
  } finally {
    el.activePair.disabled = false;
  }
});

el.hobbiesForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = el.hobbiesForm;
  clearErrors(form);
  await busy(form, async () => {
    try {
      const ids = await api.saveHobbies(checkedIds(form, "hobby"));
      state.user = { ...state.user, hobby: ids };
      flashSaved(form, ids.length ? "Интересы сохранены." : "Интересы сохранены: пока ни одного.");
    } catch (error) {
      if (!(error instanceof SessionEnded)) showApiError(form, error);
    }
  });
});

$("#logout").addEventListener("click", async () => {
  await api.logOut();
  showLanding("login");
  socket.restart(); // the socket must stop getting this user's alerts
  $("#login-title").focus();
});

// ---------------------------------------------------------------- live

function handleSocketMessage(message) {
  switch (message.type) {
    case "tick":
      countdown.sync(message);
      break;
    case "auth_ok":
      // Alerts sent while we were disconnected are lost: after a reconnect,
      // fetch the pairs again so a round we missed still shows up.
      if (state.socketAuthedBefore && state.pairsLoaded) reloadPairs();
      state.socketAuthedBefore = true;
      el.connection.dataset.auth = "ok";
      break;
    case "match":
      // Kept even while the dashboard is still loading: enterDashboard
      // merges what it fetches with what arrived meanwhile.
      if (tokens.access) receivePairs(message.pairs || []);
      break;
    default:
      break; // unknown types are ignored, so the server can add new ones
  }
}

/** New pairs arrived (alert or reload): show them at once, highlighted. */
function receivePairs(pairs) {
  const known = new Set(state.pairs.map((p) => p.id));
  const fresh = pairs.filter((p) => !known.has(p.id));
  state.pairs = mergePairs(state.pairs, pairs);
  for (const pair of fresh) state.newIds.add(pair.id);
  renderPairs(el.pairs, state.pairs, state.newIds);
  if (fresh.length) {
    const names = fresh.map((p) => personName(p.partner)).join(" и ");
    el.matchAnnouncer.textContent = `Новая пара! Знакомьтесь: ${names}.`;
    if (document.hidden) document.title = "★ Новая пара — UniMatch";
  }
}

async function reloadPairs() {
  try {
    receivePairs(await api.pairs());
  } catch {
    // Not worth an error banner: the next reconnect tries again.
  }
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) document.title = "UniMatch — знакомства по интересам";
});

/** The refresh token was refused (expired, revoked): log in again. */
function sessionEnded() {
  if (!el.landing.hidden) return; // already there
  showLanding("login", "Сессия истекла, войдите снова.");
  socket.restart();
}

onSessionEnded(sessionEnded);

// Another tab logged in or out: follow it, so the tabs never disagree on
// who is logged in (they share the tokens in localStorage).
window.addEventListener("storage", (event) => {
  if (event.key !== tokens.storageKey && event.key !== null) return;
  const loggedIn = Boolean(tokens.refresh);
  if (loggedIn && !state.user) {
    enterDashboard();
    socket.restart();
  } else if (!loggedIn && state.user) {
    showLanding("login");
    socket.restart();
  }
});

// ---------------------------------------------------------------- start

function start() {
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

  if (tokens.access) {
    enterDashboard();
  } else {
    showLanding("login");
  }
}

start();
