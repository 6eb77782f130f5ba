// The countdown to the next round. The server's ticks set it; between ticks
// (and while the socket is down) it runs on the local clock, so the page
// keeps counting offline.
//
// Each tick says how many seconds are left as the server saw it; we pin that
// to a local monotonic instant (performance.now(), immune to the user
// changing the system clock) and count down from there. `server_time` tells
// us the offset between the service's wall clock and ours, which turns
// `next_match_at` (service time zone) into the user's own local time.

import { plural } from "./format.js";

const UNITS = [
  ["days", 86400, ["день", "дня", "дней"]],
  ["hours", 3600, ["час", "часа", "часов"]],
  ["minutes", 60, ["минута", "минуты", "минут"]],
  ["seconds", 1, ["секунда", "секунды", "секунд"]],
];

/** Milliseconds since the epoch of a "YYYY-MM-DD HH:MM:SS" wall-clock
 *  string, read as if it were UTC: only differences between two such
 *  strings are meaningful. */
export function parseWallClock(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text || "");
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s = "0"] = m;
  return Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
}

/** Seconds left according to a tick or a REST countdown object. */
function secondsLeft(data) {
  const whole = (data.days_left || 0) * 86400 + (data.hours_left || 0) * 3600
    + (data.minutes_left || 0) * 60;
  if (Number.isInteger(data.seconds_left)) {
    // The server floors: the true value lies within the next second.
    return whole + data.seconds_left + 0.5;
  }
  const target = parseWallClock(data.next_match_at);
  const now = parseWallClock(data.server_time);
  if (Number.isFinite(target) && Number.isFinite(now)) {
    return Math.max(0, (target - now) / 1000 - 0.5);
  }
  // REST has whole minutes only: assume the middle of the minute until the
  // first tick corrects it.
  return whole + 30;
}

/** The service zone's offset from UTC in ms, from a server_time string and
 *  our clock, rounded to 15 minutes so a slightly wrong local clock does not
 *  turn 10:00 into 10:03. */
function serviceZoneOffset(serverTime) {
  const quarter = 15 * 60 * 1000;
  const raw = parseWallClock(serverTime) - Date.now();
  return Number.isFinite(raw) ? Math.round(raw / quarter) * quarter : null;
}

const FORMAT = { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" };
// In the user's time zone once we know the service's; until then as the
// service's wall clock (the string read as UTC, printed as UTC).
const localFormat = new Intl.DateTimeFormat("ru-RU", FORMAT);
const wallFormat = new Intl.DateTimeFormat("ru-RU", { ...FORMAT, timeZone: "UTC" });

export class Countdown {
  /** `root` holds elements with data-part="days|hours|minutes|seconds",
   *  data-label="..." for their unit words and data-role="next" for the
   *  date of the next round. */
  constructor(root) {
    this.root = root;
    this.deadline = null; // performance.now() value at which the round starts
    this.nextMatchAt = null;
    this.zoneOffset = null;
    this.timer = null;
  }

  /** Re-anchor on fresh data from the server (a tick or the REST answer). */
  sync(data) {
    const left = secondsLeft(data);
    if (!Number.isFinite(left)) return;
    this.deadline = performance.now() + left * 1000;
    const offset = data.server_time ? serviceZoneOffset(data.server_time) : this.zoneOffset;
    if (data.next_match_at !== this.nextMatchAt || offset !== this.zoneOffset) {
      this.nextMatchAt = data.next_match_at;
      this.zoneOffset = offset;
      this.renderNextRound();
    }
    this.render();
  }

  get synced() {
    return this.deadline !== null;
  }

  /** Run the local clock. A short period keeps the seconds from lagging
   *  visibly behind the real second boundary. */
  start() {
    if (!this.timer) this.timer = setInterval(() => this.render(), 250);
  }

  render() {
    if (this.deadline === null) return;
    let left = Math.max(0, Math.floor((this.deadline - performance.now()) / 1000));
    this.root.classList.toggle("is-due", left === 0);
    for (const [unit, size, words] of UNITS) {
      const value = Math.floor(left / size);
      left -= value * size;
      const valueEl = this.root.querySelector(`[data-part="${unit}"]`);
      const text = unit === "days" ? String(value) : String(value).padStart(2, "0");
      if (valueEl.textContent !== text) valueEl.textContent = text;
      const labelEl = this.root.querySelector(`[data-label="${unit}"]`);
      const word = plural(value, words);
      if (labelEl.textContent !== word) labelEl.textContent = word;
    }
  }

  renderNextRound() {
    const el = this.root.querySelector('[data-role="next"]');
    const wall = parseWallClock(this.nextMatchAt);
    let text = "";
    if (Number.isFinite(wall) && this.zoneOffset === null) {
      text = wallFormat.format(new Date(wall));
    } else if (Number.isFinite(wall)) {
      const moment = new Date(wall - this.zoneOffset);
      text = localFormat.format(moment);
      // Say so when the user's zone is not the service's (another city).
      if (-moment.getTimezoneOffset() * 60000 !== this.zoneOffset) text += " (по вашему времени)";
    }
    el.textContent = text && `Следующий раунд: ${text}`;
  }
}
