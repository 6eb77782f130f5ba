// Linking Telegram for match alerts. Where the server has a bot configured
// (the page's data-bot-username), we embed Telegram's official Login Widget
// — the page's only external resource. The widget calls the global
// onTelegramAuth(user) with a payload signed by Telegram; we post it to
// `POST /users/api/tg-auth/` with our Bearer token, and the server links
// that Telegram account to whoever the token says we are.
//
// Beside the widget the card offers the bot's deep link, which needs only
// the Telegram app: `POST v2 api/tg-link-code/` gives a one-time t.me link
// that links the chat when the user presses "Start" in Telegram. Where
// telegram.org cannot be reached (some networks, some blockers) the widget
// never appears; the card then also says why.

import { api } from "./api.js";
import { busy } from "./forms.js";
import { describeError } from "./server-messages.js";

const WIDGET_SRC = "https://telegram.org/js/telegram-widget.js?22";
// How long the widget may take before we say it did not come (ms). A
// refused request fails at once; a network that swallows it only times out.
const WIDGET_PATIENCE = 15000;
// The service's wall clock, as the API writes it: "2026-12-02 12:10:00".
const WALL_CLOCK = /^\d{4}-\d{2}-\d{2}[ T](\d{2}:\d{2})/;

export class TelegramLink {
  /**
   * @param {HTMLElement} section  holds [data-role="tg-status"], [data-role="tg-widget"],
   *   [data-role="tg-message"], [data-role="tg-unconfigured"] and [data-role="tg-deep-link"]
   * @param {string} botUsername  empty when the server has no bot
   * @param {() => Promise<void>} onLinked  called once linked, to show the updated user
   */
  constructor(section, botUsername, onLinked) {
    this.section = section;
    this.botUsername = botUsername;
    this.onLinked = onLinked;
    this.widgetLoaded = false;
    this.widgetFailed = false;
    this.linked = false;
    // The widget's data-onauth attribute names a global function.
    window.onTelegramAuth = (user) => this.link(user);
    this.section.querySelector('[data-action="tg-link-code"]')
      .addEventListener("click", (event) => this.offerDeepLink(event.currentTarget));
    this.section.querySelector('[data-action="tg-check"]')
      .addEventListener("click", () => this.checkLinked());
    // Back from the Telegram app: the card catches up by itself.
    window.addEventListener("focus", () => this.checkQuietly());
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) this.checkQuietly();
    });
  }

  part(role) {
    return this.section.querySelector(`[data-role="${role}"]`);
  }

  /** Show whether `user` has Telegram linked, and the widget if possible. */
  render(user) {
    const linked = user.chat_id !== null && user.chat_id !== undefined;
    this.linked = linked;
    const status = this.part("tg-status");
    status.textContent = linked
      ? "Telegram привязан: сообщение о новой паре придёт и туда."
      : "Telegram не привязан.";
    status.classList.toggle("is-ok", linked);
    this.part("tg-unconfigured").hidden = Boolean(this.botUsername);
    if (this.botUsername) this.loadWidget();
    this.showDeepLinkOffer();
  }

  /** Forget the last link attempt's message (on log-out). */
  reset() {
    this.part("tg-message").textContent = "";
    this.part("tg-link").hidden = true;
  }

  /** Insert the widget's script once; it replaces itself with an iframe. */
  loadWidget() {
    if (this.widgetLoaded) return;
    this.widgetLoaded = true;
    const script = document.createElement("script");
    script.async = true;
    script.src = WIDGET_SRC;
    script.dataset.telegramLogin = this.botUsername;
    script.dataset.size = "medium";
    script.dataset.onauth = "onTelegramAuth(user)";
    script.dataset.requestAccess = "write";
    let settled = false;
    const failed = () => {
      if (settled) return;
      settled = true;
      this.widgetFailed = true;
      this.showDeepLinkOffer();
    };
    script.addEventListener("load", () => { settled = true; });
    script.addEventListener("error", failed);
    setTimeout(failed, WIDGET_PATIENCE);
    this.part("tg-widget").append(script);
  }

  /** @private The deep link is offered while a bot is configured and
   *  Telegram is not linked; why the widget is missing, once it failed. */
  showDeepLinkOffer() {
    this.part("tg-deep-link").hidden = !(this.botUsername && !this.linked);
    this.part("tg-unreachable").hidden = !this.widgetFailed;
    this.part("tg-bot-offer").hidden = this.widgetFailed;
  }

  /** @private Ask for a one-time code and show the bot's link with it. A
   *  link (not a new window opened for the user) so that no popup blocker
   *  stands in the way after the request. */
  async offerDeepLink(button) {
    const message = this.part("tg-message");
    message.textContent = "";
    message.classList.remove("is-error");
    let answer;
    try {
      answer = await busy(button, () => api.telegramLinkCode());
    } catch (error) {
      message.classList.add("is-error");
      message.textContent = describeError(error);
      return;
    }
    const link = this.part("tg-link-url");
    link.href = answer.url;
    const until = WALL_CLOCK.exec(answer.expires_at || "");
    this.part("tg-link-note").textContent = "Откройте ссылку и нажмите в боте «Запустить» (Start). "
      + `Ссылка одноразовая и действует ${until ? `до ${until[1]}` : "10 минут"}.`
      + ` Не открывается — отправьте боту команду /start ${answer.code}`;
    this.part("tg-link").hidden = false;
    link.focus();
  }

  /** @private While a deep link is out and not yet used: whether it has
   *  been, without a word unless it was. */
  async checkQuietly() {
    if (this.linked || this.part("tg-link").hidden) return;
    try {
      await this.onLinked();
    } catch {
      return; // the next return to the page, or the check button, tries again
    }
    if (this.linked) this.part("tg-message").textContent = "Готово: Telegram привязан.";
  }

  /** @private After the bot: ask whether the account is linked now. */
  async checkLinked() {
    const message = this.part("tg-message");
    message.classList.remove("is-error");
    try {
      await this.onLinked();
    } catch (error) {
      message.classList.add("is-error");
      message.textContent = describeError(error);
      return;
    }
    message.textContent = this.linked
      ? "Готово: Telegram привязан."
      : "Пока не привязан: откройте ссылку и нажмите в боте «Запустить».";
  }

  async link(telegramUser) {
    const message = this.part("tg-message");
    message.classList.remove("is-error");
    message.textContent = "Привязываем Telegram…";
    try {
      await api.linkTelegram(telegramUser);
    } catch (error) {
      message.classList.add("is-error");
      message.textContent = describeError(error);
      return;
    }
    message.textContent = "Готово: Telegram привязан.";
    try {
      await this.onLinked();
    } catch {
      // Linked all the same; the status line catches up on the next load.
    }
  }
}
