// The REST client: JSON requests, the token pair in localStorage, and the
// seed's refresh rule — on a 401, refresh once with the stored refresh token
// (the server rotates it, so BOTH new tokens are stored) and retry; when the
// refresh itself is refused, the session is over and the app shows the
// log-in form.

const ACCESS_KEY = "unimatch.access";
const REFRESH_KEY = "unimatch.refresh";

/** The stored token pair. localStorage is shared by every tab of the site. */
export const tokens = {
  get access() { return localStorage.getItem(ACCESS_KEY); },
  get refresh() { return localStorage.getItem(REFRESH_KEY); },
  /** Both tokens at once: after a refresh the old refresh token is dead. */
  save({ access, refresh }) {
    localStorage.setItem(ACCESS_KEY, access);
    localStorage.setItem(REFRESH_KEY, refresh);
  },
  clear() {
    localStorage.removeItem(ACCESS_KEY);
    localStorage.removeItem(REFRESH_KEY);
  },
  /** The localStorage key other tabs change when they log in or out. */
  storageKey: REFRESH_KEY,
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

/** Raised when the refresh token is refused: the user must log in again. */
export class SessionEnded extends ApiError {}

const sessionListeners = new Set();

/** `callback()` runs once each time the session ends by itself (refresh
 *  refused). An explicit log-out does not call it. */
export function onSessionEnded(callback) {
  sessionListeners.add(callback);
}

function endSession() {
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

/** Exchange the stored refresh token for a new pair. Resolves true when the
 *  stored tokens are fresh, false when there is no session any more.
 *
 *  Single-flight: rotation blacklists the old refresh token, so two
 *  concurrent refreshes would make the second one fail and log the user
 *  out. Calls in this tab share one request, and a Web Lock (where the
 *  browser has one) serialises tabs; a tab that waited finds the token
 *  already rotated by the other and simply uses it. */
export function refreshTokens() {
  if (!refreshing) {
    const sent = tokens.refresh;
    const run = () => rotate(sent);
    refreshing = (navigator.locks ? navigator.locks.request("unimatch-refresh", run) : run())
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

async function rotate(sentRefresh) {
  const current = tokens.refresh;
  if (!current) return false;
  if (current !== sentRefresh) return true; // another tab rotated it meanwhile
  try {
    tokens.save(await send("POST", "/api/token/refresh/", { refresh: current }));
    return true;
  } catch (error) {
    if (error.status === 0 || error.status >= 500) throw error; // not a verdict on the token
    if (tokens.refresh !== current) return true; // rotated elsewhere while we asked
    return false;
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

/** Every endpoint the page uses, named for what it does. */
export const api = {
  // Public.
  countdown: () => send("GET", "/users/api/days-to-match/"),
  allHobbies: () => send("GET", "/users/api/hobby/all/"),
  async register(fields) {
    const answer = await send("POST", "/users/api/register/", fields);
    tokens.save(answer);
    return answer.user;
  },
  async logIn(email, password) {
    tokens.save(await send("POST", "/api/token/", { email, password }));
  },
  /** Revoke the refresh token and forget both. The local part always
   *  happens, even when the server cannot be reached. */
  async logOut() {
    const refresh = tokens.refresh;
    tokens.clear();
    if (refresh) {
      await send("POST", "/api/token/blacklist/", { refresh }).catch(() => {});
    }
  },

  // Authenticated.
  me: () => authed("GET", "/auth/users/me/"),
  updateMe: (fields) => authed("PATCH", "/auth/users/me/", fields),
  hobbyTotal: () => authed("GET", "/users/api/hobby/total/"),
  saveHobbies: (ids) => authed("PATCH", "/users/api/hobby/", { hobby: ids }),
  pairs: () => authed("GET", "/users/api/pairs/"),
  linkTelegram: (payload) => authed("POST", "/users/api/tg-auth/", payload),
};
