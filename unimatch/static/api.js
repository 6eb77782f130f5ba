// The REST client: JSON requests and the session.
//
// The page speaks the service's v2 API, as the original web client does,
// so that the refresh token never reaches script: it lives in an HttpOnly
// cookie that the server sets at log-in and rotates at each refresh. A
// script that runs in the page (the Telegram widget is a third party's)
// can at most read the short-lived access token, kept in localStorage so
// that every tab of the site shares it. On a 401 the page refreshes once,
// with the cookie alone, and retries; when the refresh is refused the
// session is over and the app shows the log-in form.
//
// Three calls stay on v1 paths (v1-only, so --v2-prefix "" leaves them
// alone), for what v2 cannot do: registering (v1 names every bad field at
// once, v2 gives one text for the first), linking Telegram to the account
// (v2's tg-auth signs in instead) and removing the birth date (v2 refuses
// an empty one). One store and one set of tokens serve both versions.

const ACCESS_KEY = "unimatch.access";
// Where pages before the v2 session kept the refresh token.
const LEGACY_REFRESH_KEY = "unimatch.refresh";

let v2Base = "/v2/";

/** Where the server serves v2 (its --v2-prefix), as "/v2/" or "/". */
export function useV2Base(base) {
  v2Base = base.endsWith("/") ? base : `${base}/`;
}

const v2 = (path) => v2Base + path;

/** The stored access token. localStorage is shared by every tab of the site. */
export const tokens = {
  get access() { return localStorage.getItem(ACCESS_KEY); },
  save(access) { localStorage.setItem(ACCESS_KEY, access); },
  clear() { localStorage.removeItem(ACCESS_KEY); },
  /** A refresh token left in localStorage by an older page is dropped
   *  unused: the session now lives in the cookie, and the next refresh
   *  without one asks the user to log in once more. */
  dropLegacy() { localStorage.removeItem(LEGACY_REFRESH_KEY); },
  /** The localStorage key other tabs change when they log in or out. */
  storageKey: ACCESS_KEY,
};

/** A failed request. `status` is 0 when the server could not be reached;
 *  `body` is the decoded JSON error body (DRF style) or null. */
export class ApiError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Raised when the refresh is refused: the user must log in again. */
export class SessionEnded extends ApiError {}

const sessionListeners = new Set();

/** `callback()` runs once each time the session ends by itself (refresh
 *  refused). An explicit log-out does not call it. */
export function onSessionEnded(callback) {
  sessionListeners.add(callback);
}

function endSession() {
  // The cookie cannot be cleared from here (HttpOnly); it holds a token the
  // server refuses, and the next log-in replaces it. Asking the server to
  // clear it could instead end another tab's session: that tab may have
  // stored a fresh cookie meanwhile.
  tokens.clear();
  for (const callback of sessionListeners) callback();
}

async function send(method, path, body, access) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (access) headers.Authorization = `Bearer ${access}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, null); // offline, DNS, server down
  }
  let data = null;
  if ((response.headers.get("Content-Type") || "").includes("json")) {
    data = await response.json().catch(() => null);
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

let refreshing = null;

/** Get a new access token with the refresh cookie. Resolves true when the
 *  stored access token is fresh, false when there is no session any more.
 *
 *  Calls in this tab share one request, and a Web Lock (where the browser
 *  has one) serialises tabs: a tab that waited finds the token already
 *  refreshed by the other and simply uses it. (The server also forgives
 *  parallel refreshes with one cookie for a grace period; the lock saves
 *  the extra requests and does not rely on it.) */
export function refreshTokens() {
  if (!refreshing) {
    const sent = tokens.access;
    const run = () => rotate(sent);
    refreshing = (navigator.locks ? navigator.locks.request("unimatch-refresh", run) : run())
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

async function rotate(sentAccess) {
  const current = tokens.access;
  if (!current) return false; // logged out meanwhile
  if (current !== sentAccess) return true; // another tab refreshed it meanwhile
  try {
    tokens.save((await send("POST", v2("api/token/refresh/"))).access);
    return true;
  } catch (error) {
    if (error.status === 0 || error.status >= 500) throw error; // not a verdict on the session
    const now = tokens.access;
    return Boolean(now) && now !== current; // refreshed elsewhere while we asked
  }
}

/** One authenticated request, with at most one refresh-and-retry. */
async function authed(method, path, body) {
  const access = tokens.access;
  if (!access) {
    endSession();
    throw new SessionEnded(401, null);
  }
  try {
    return await send(method, path, body, access);
  } catch (error) {
    if (error.status !== 401) throw error;
    if (tokens.access === access) {
      if (!(await refreshTokens())) {
        endSession();
        throw new SessionEnded(401, error.body);
      }
    } else if (!tokens.access) {
      throw new SessionEnded(401, error.body); // ended meanwhile by another request
    }
    // Refreshed, here or by another request of ours meanwhile: retry once.
    try {
      return await send(method, path, body, tokens.access);
    } catch (retryError) {
      if (retryError.status === 401) {
        endSession();
        throw new SessionEnded(401, retryError.body);
      }
      throw retryError;
    }
  }
}

/** v2's pairs answer as one list, newest round first: the board tells the
 *  current round from the history itself, for REST and alerts alike. */
function pairList({ current_pair: current, current_pairs: currentPairs, pairs }) {
  return [...(currentPairs || (current ? [current] : [])), ...pairs];
}

/** Every endpoint the page uses, named for what it does. */
export const api = {
  // Public.
  countdown: () => send("GET", v2("api/days-to-match/")),
  allHobbies: () => send("GET", v2("api/hobby/all/")),
  /** Create the account; log in afterwards to start the session. v1's
   *  answer also holds a token pair: it is dropped unused, so the refresh
   *  token the page keeps is the one in the cookie. */
  async register(fields) {
    await send("POST", "/users/api/register/", fields);
  },
  async logIn(email, password) {
    tokens.save((await send("POST", v2("api/token/"), { email, password })).access);
  },
  /** Revoke the session and forget it. The local part always happens,
   *  even when the server cannot be reached. */
  async logOut() {
    tokens.clear();
    await send("POST", v2("api/token/blacklist/")).catch(() => {});
  },
  /** Ask for a reset link by mail; the answer is the same whether or not
   *  an account has the address. */
  requestPasswordReset: (email) => send("POST", v2("api/auth/users/reset_password/"), { email }),
  /** Set a new password with a mailed link. The server ends every session
   *  of the account, so this tab's goes too. */
  async confirmPasswordReset(uid, token, newPassword) {
    await send("POST", v2("api/auth/users/reset_password_confirm/"),
      { uid, token, new_password: newPassword });
    tokens.clear();
  },

  // Authenticated.
  me: () => authed("GET", v2("api/auth/users/me/")),
  updateMe: (fields) => authed("PATCH", v2("api/auth/users/me/"), fields),
  removeBirth: () => authed("PATCH", "/auth/users/me/", { birth: null }),
  hobbyTotal: () => authed("GET", v2("api/hobby/total/")),
  saveHobbies: (ids) => authed("PATCH", v2("api/hobby/"), { hobby: ids }),
  pairs: async () => pairList(await authed("GET", v2("api/pairs/"))),
  /** Link the Telegram account of a Login Widget payload to ours. */
  linkTelegram: (payload) => authed("POST", "/users/api/tg-auth/", payload),
  /** A one-time code for linking through the bot instead:
   *  {code, url: the bot's t.me deep link, expires_at: "YYYY-MM-DD HH:MM:SS"}. */
  telegramLinkCode: () => authed("POST", v2("api/tg-link-code/")),
  /** "Did you meet?" about one pair: {met, rating?}; answers the pairs item. */
  answerFeedback: (pairId, answer) => authed("POST", v2(`api/pairs/${pairId}/feedback/`), answer),
  /** The people the user asked never to be paired with again. */
  blocks: () => authed("GET", v2("api/blocks/")),
  block: (userId) => authed("POST", v2("api/blocks/"), { user: userId }),
  unblock: (userId) => authed("DELETE", v2(`api/blocks/${userId}/`)),
  /** Staff only (403 for anyone else): per-round figures, latest first. */
  stats: () => authed("GET", v2("admin-api/stats/")),
};
