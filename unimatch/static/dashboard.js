// The dashboard, after log-in: the user's match and history (match-board.js),
// the block list (blocks.js), the profile, participation (with the pause, pause.js) and hobby forms,
// Telegram, and the log-out button in the header.

import { api, SessionEnded } from "./api.js";
import { attachDateField, formatDate, readDate } from "./date-field.js";
import { personName } from "./format.js";
import {
  busy, checkedIds, clearErrors, clearErrorsWhenEdited, flashSaved, focusFirstInvalid, onSubmit,
  renderHobbyChoices, showApiError, showFieldError,
} from "./forms.js";
import { PauseControl } from "./pause.js";
import { describeError } from "./server-messages.js";
import { isTelegramNick, NICK_RULE } from "./telegram-nick.js";
import { TelegramLink } from "./telegram.js";

const $ = (selector) => document.querySelector(selector);

export class Dashboard {
  /**
   * @param {object} options
   * @param {import("./match-board.js").MatchBoard} options.matches  the match and history sections
   * @param {import("./blocks.js").BlockList} options.blocks  the block list section
   * @param {string} options.botUsername  the Telegram bot's name, empty when the server has none
   * @param {() => void} options.onLoggedOut  the user logged out (the tokens are gone)
   */
  constructor({ matches, blocks, botUsername, onLoggedOut }) {
    /** The logged-in user as the server last sent it; null before that. */
    this.user = null;
    this.matches = matches;
    this.blocks = blocks;
    this.view = $("#view-dashboard");
    this.account = $("#account");
    this.accountName = $("#account-name");
    this.pageTitle = $("#page-title");
    this.pageError = $("#page-error");
    this.profileForm = $("#profile-form");
    this.participationForm = $("#participation-form");
    this.activePair = $("#active-pair");
    this.pause = new PauseControl(this.participationForm, (user) => this.showUser(user));
    this.hobbiesForm = $("#hobbies-form");
    // Linking answers with v1's user object; the page shows v2's, so it asks again.
    this.telegram = new TelegramLink($("#telegram-section"), botUsername,
      async () => this.showUser(await api.me()));

    onSubmit(this.profileForm, () => this.saveProfile());
    attachDateField(this.profileForm.elements.birth);
    this.activePair.addEventListener("change", () => this.saveParticipation());
    onSubmit(this.hobbiesForm, () => this.saveHobbies());
    clearErrorsWhenEdited(this.profileForm);
    clearErrorsWhenEdited(this.hobbiesForm);
    $("#logout").addEventListener("click", async () => {
      await api.logOut();
      onLoggedOut();
    });
  }

  /** Show the dashboard and load everything it shows; `focus` moves the
   *  keyboard focus to the page title once loaded. */
  async enter({ focus = false } = {}) {
    document.body.dataset.view = "dashboard";
    this.view.hidden = false;
    this.account.hidden = false;
    try {
      const [me, total, pairs, blocked] = await Promise.all(
        [api.me(), api.hobbyTotal(), api.pairs(), api.blocks()]);
      this.showUser(me);
      renderHobbyChoices(this.hobbiesForm.querySelector('[data-role="hobby-choices"]'),
        total.all_tags, total.user_tags.map((h) => h.id), "my-hobby");
      this.blocks.show(blocked); // before the history, which offers blocks
      this.matches.load(pairs);
    } catch (error) {
      if (error instanceof SessionEnded) return; // the session-end handler took over
      this.showPageError(`Не удалось загрузить данные. ${describeError(error)}`,
        () => this.enter({ focus }));
      return;
    }
    if (focus) this.pageTitle.focus();
  }

  /** Hide the dashboard and forget the user (log-out, session ended). */
  leave() {
    this.user = null;
    this.matches.clear();
    this.blocks.clear();
    this.view.hidden = true;
    this.account.hidden = true;
    this.pageError.hidden = true;
    this.telegram.reset();
  }

  /** Put the user object's fields (v2's) on the page. */
  showUser(user) {
    this.user = user;
    const name = personName(user);
    this.accountName.textContent = name;
    // Cut with an ellipsis where the header is short of room: the whole
    // name on hover (screen readers read the text itself, uncut).
    this.accountName.title = name;
    this.pageTitle.textContent = `Привет, ${user.first_name || name}!`;
    $("#profile-email").textContent = user.email;
    const f = this.profileForm.elements;
    f.first_name.value = user.first_name || "";
    f.last_name.value = user.last_name || "";
    f.birth.value = formatDate(user.birth); // v2's birth is ISO
    f.tg_link.value = user.tg_link || "";
    this.activePair.checked = user.is_active_pair !== false;
    this.pause.render(user);
    this.telegram.render(user);
  }

  /** @private A page-wide error with a retry button. */
  showPageError(message, retry) {
    this.pageError.querySelector('[data-role="text"]').textContent = message;
    this.pageError.querySelector('[data-action="retry"]').onclick = () => {
      this.pageError.hidden = true;
      retry();
    };
    this.pageError.hidden = false;
  }

  /** @private */
  async saveProfile() {
    const form = this.profileForm;
    clearErrors(form);
    const f = form.elements;
    const birth = readDate(f.birth.value);
    const tgLink = f.tg_link.value.trim();
    if (birth.error) showFieldError(form, "birth", [birth.error]);
    if (tgLink && !isTelegramNick(tgLink)) showFieldError(form, "tg_link", [NICK_RULE]);
    if (form.querySelector('[aria-invalid="true"]')) return focusFirstInvalid(form);
    const changes = {
      first_name: f.first_name.value.trim(),
      last_name: f.last_name.value.trim(),
      tg_link: tgLink || null,
    };
    // v2 takes a new date but refuses an empty one; a date the user
    // erased is removed through v1 (api.js), before the rest is saved.
    if (birth.iso) changes.birth = birth.iso;
    const removeBirth = !birth.iso && Boolean(this.user.birth);
    await busy(form, async () => {
      try {
        if (removeBirth) await api.removeBirth();
        this.showUser(await api.updateMe(changes));
        flashSaved(form, "Профиль сохранён.");
      } catch (error) {
        if (!(error instanceof SessionEnded)) showApiError(form, error);
      }
    });
  }

  /** @private The participation switch saves as soon as it is flipped. */
  async saveParticipation() {
    const form = this.participationForm;
    const wanted = this.activePair.checked;
    clearErrors(form);
    this.activePair.disabled = true;
    try {
      this.showUser(await api.updateMe({ is_active_pair: wanted }));
      flashSaved(form, wanted
        ? "Вы участвуете в следующем раунде."
        : "Вы не участвуете в раундах, пока не включите снова.");
    } catch (error) {
      this.activePair.checked = !wanted; // the server did not change it
      if (!(error instanceof SessionEnded)) showApiError(form, error);
    } finally {
      this.activePair.disabled = false;
    }
  }

  /** @private */
  async saveHobbies() {
    const form = this.hobbiesForm;
    clearErrors(form);
    await busy(form, async () => {
      try {
        const ids = await api.saveHobbies(checkedIds(form, "hobby"));
        flashSaved(form, ids.length ? "Интересы сохранены." : "Интересы сохранены: пока ни одного.");
      } catch (error) {
        if (!(error instanceof SessionEnded)) showApiError(form, error);
      }
    });
  }
}
