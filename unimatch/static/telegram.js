// Linking Telegram for match alerts. Where the server has a bot configured
// (the page's data-bot-username), we embed Telegram's official Login Widget
// — the page's only external resource. The widget calls the global
// onTelegramAuth(user) with a payload signed by Telegram; we post it to
// `POST /users/api/tg-auth/` with our Bearer token, and the server links
// that Telegram account to whoever the token says we are.

import { api } from "./api.js";
import { describeError } from "./server-messages.js";

const WIDGET_SRC = "https://telegram.org/js/telegram-widget.js?22";

export class TelegramLink {
  /**
   * @param {HTMLElement} section  holds [data-role="tg-status"], [data-role="tg-widget"],
   *   [data-role="tg-message"] and [data-role="tg-unconfigured"]
   * @param {string} botUsername  empty when the server has no bot
   * @param {() => Promise<void>} onLinked  called once linked, to show the updated user
   */
  constructor(section, botUsername, onLinked) {
    this.section = section;
    this.botUsername = botUsername;
    this.onLinked = onLinked;
    this.widgetLoaded = false;
    // The widget's data-onauth attribute names a global function.
    window.onTelegramAuth = (user) => this.link(user);
  }

  part(role) {
    return this.section.querySelector(`[data-role="${role}"]`);
  }

  /** Show whether `user` has Telegram linked, and the widget if possible. */
  render(user) {
    const linked = user.chat_id !== null && user.chat_id !== undefined;
    const status = this.part("tg-status");
    status.textContent = linked
      ? "Telegram привязан: сообщение о новой паре придёт и туда."
      : "Telegram не привязан.";
    status.classList.toggle("is-ok", linked);
    this.part("tg-unconfigured").hidden = Boolean(this.botUsername);
    if (this.botUsername) this.loadWidget();
  }

  /** Forget the last link attempt's message (on log-out). */
  reset() {
    this.part("tg-message").textContent = "";
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
    this.part("tg-widget").append(script);
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
