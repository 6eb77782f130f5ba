// The pause: "Пауза на 1, 2 или 4 недели" and, while paused, until when,
// with a way back. The server keeps `paused_until` (v2: an ISO date):
// rounds on or before that day leave the user out, and after it they take
// part again by themselves, so the page only sets it, clears it and says it.
// It is offered while the user takes part at all (the switch beside it).

import { api, SessionEnded } from "./api.js";
import { formatDate } from "./date-field.js";
import { clearErrors, flashSaved, showApiError } from "./forms.js";
import { plural } from "./format.js";

const pad = (n) => String(n).padStart(2, "0");

/** The ISO date `days` after the browser's today. The server checks
 *  against its own today; a week ahead is on its right side either way. */
export function isoDayFromToday(days, now = new Date()) {
  const day = new Date(now.getFullYear(), now.getMonth(), now.getDate() + days);
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

/** Whether a pause until `pausedUntil` (ISO, or null) still holds on
 *  `today` (ISO): the day itself is still paused. */
export function pausedOn(pausedUntil, today) {
  return Boolean(pausedUntil) && pausedUntil >= today;
}

export class PauseControl {
  /**
   * @param {HTMLFormElement} form  the participation form: holds [data-role="pause"]
   *   and the form's error and [data-role="saved"] lines
   * @param {(user: object) => void} onSaved  the server's user after a change
   */
  constructor(form, onSaved) {
    this.form = form;
    this.onSaved = onSaved;
    this.el = form.querySelector('[data-role="pause"]');
    this.offer = this.el.querySelector('[data-role="pause-offer"]');
    this.state = this.el.querySelector('[data-role="pause-state"]');
    this.until = this.el.querySelector('[data-role="pause-until"]');
    for (const button of this.offer.querySelectorAll("[data-weeks]")) {
      button.addEventListener("click", () => this.pause(Number(button.dataset.weeks)));
    }
    this.el.querySelector('[data-action="resume"]').addEventListener("click", () => this.resume());
  }

  /** Show the offer, or until when the user is paused. */
  render(user) {
    this.el.hidden = user.is_active_pair === false;
    const paused = pausedOn(user.paused_until, isoDayFromToday(0));
    this.offer.hidden = paused;
    this.state.hidden = !paused;
    this.until.textContent = paused ? `На паузе до ${formatDate(user.paused_until)}` : "";
  }

  /** @private */
  async pause(weeks) {
    const saved = await this.save(isoDayFromToday(7 * weeks));
    if (!saved) return;
    flashSaved(this.form, `Пауза на ${weeks} ${plural(weeks, ["неделю", "недели", "недель"])}.`);
    this.until.focus(); // the buttons pressed are gone: say what holds now
  }

  /** @private */
  async resume() {
    if (!(await this.save(null))) return;
    flashSaved(this.form, "Пауза снята: вы участвуете в следующем раунде.");
    this.el.querySelector("#pause-label").focus();
  }

  /** @private Set `paused_until` (null clears it); whether it was saved. */
  async save(pausedUntil) {
    clearErrors(this.form);
    const buttons = this.el.querySelectorAll("button");
    for (const button of buttons) button.disabled = true;
    try {
      this.onSaved(await api.updateMe({ paused_until: pausedUntil }));
      return true;
    } catch (error) {
      if (!(error instanceof SessionEnded)) showApiError(this.form, error);
      return false;
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  }
}
