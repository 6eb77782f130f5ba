// "Don't match me with this person again": offered on each history item,
// asked once more in place (the page never uses the browser's confirm
// dialogs, which a phone shows as a bare system box), and listed in the
// block list section with a way back. The server keeps the blocks
// (`api/blocks/`); the blocked person is never told, so the page never
// says anything about it where they could see it.

import { api, SessionEnded } from "./api.js";
import { busy } from "./forms.js";
import { personName } from "./format.js";
import { describeError } from "./server-messages.js";

function element(tag, className, content = "") {
  const el = document.createElement(tag);
  if (className) el.className = className;
  el.textContent = content;
  return el;
}

function button(label, action, className = "button") {
  const el = element("button", className, label);
  el.type = "button";
  el.dataset.action = action;
  return el;
}

export class BlockList {
  /**
   * @param {HTMLElement} section  the block list: [data-role="blocks-list"],
   *   [data-role="blocks-empty"] and [data-role="blocks-message"]
   * @param {HTMLElement} historyEl  the history list whose items offer the block
   */
  constructor(section, historyEl) {
    this.section = section;
    this.list = section.querySelector('[data-role="blocks-list"]');
    this.empty = section.querySelector('[data-role="blocks-empty"]');
    this.message = section.querySelector('[data-role="blocks-message"]');
    this.historyEl = historyEl;
    /** Blocked user id → the server's item {id, first_name, last_name}. */
    this.blocked = new Map();
    this.list.addEventListener("click", (event) => {
      const undo = event.target.closest('[data-action="unblock"]');
      if (undo) this.unblock(Number(undo.closest("li").dataset.userId), undo);
    });
    historyEl.addEventListener("click", (event) => this.onHistoryClick(event));
  }

  /** The server's block list (GET api/blocks/). */
  show(items) {
    this.blocked = new Map(items.map((item) => [item.id, item]));
    this.message.textContent = "";
    this.renderList();
    this.refreshHistory();
  }

  /** Forget everything (log-out). */
  clear() {
    this.show([]);
  }

  /** The history hook (matches.js): what the item offers about its partner. */
  decorateHistory(item, pair) {
    item.querySelector(".history-actions")?.remove();
    const actions = element("div", "history-actions");
    if (this.blocked.has(pair.partner.id)) {
      const state = element("span", "history-blocked", "Больше не подбираем вас в пару");
      state.tabIndex = -1;
      actions.append(state);
    } else {
      actions.append(button("Больше не подбирать с этим человеком", "block", "link-button"));
    }
    item.append(actions);
  }

  /** @private Redo every history item's actions (after a change). */
  refreshHistory() {
    for (const item of this.historyEl.querySelectorAll(".history-item")) {
      const id = Number(item.dataset.partnerId);
      this.decorateHistory(item, { partner: { id } });
    }
  }

  /** @private */
  renderList() {
    const items = [...this.blocked.values()].map((person) => {
      const li = element("li", "blocks-item");
      li.dataset.userId = String(person.id);
      const undo = button("Вернуть", "unblock");
      // Heard as "Вернуть Анну…": which of the list it brings back.
      undo.append(element("span", "visually-hidden", ` ${personName(person)}`));
      li.append(element("span", "blocks-name", personName(person)), undo);
      return li;
    });
    this.list.replaceChildren(...items);
    this.list.hidden = items.length === 0;
    this.empty.hidden = items.length !== 0;
  }

  /** @private Block, ask first, or step back, from a history item. */
  onHistoryClick(event) {
    const target = event.target.closest("[data-action]");
    const item = target && target.closest(".history-item");
    if (!item) return;
    const partnerId = Number(item.dataset.partnerId);
    const name = item.querySelector(".history-name").textContent;
    if (target.dataset.action === "block") this.ask(item, name);
    if (target.dataset.action === "block-cancel") {
      this.decorateHistory(item, { partner: { id: partnerId } });
      item.querySelector('[data-action="block"]').focus();
    }
    if (target.dataset.action === "block-confirm") this.block(partnerId, name, target);
  }

  /** @private The question, in place of the offer. */
  ask(item, name) {
    const actions = item.querySelector(".history-actions");
    const question = element("p", "block-question",
      `Больше не ставить вас в пару с ${name}? Этот человек ничего не узнает; `
      + "вернуть можно в разделе «Не подбирать в пару».");
    question.id = `block-question-${item.dataset.pairId}`;
    question.tabIndex = -1;
    const confirm = element("div", "block-confirm");
    confirm.setAttribute("role", "group");
    confirm.setAttribute("aria-labelledby", question.id);
    const buttons = element("div", "block-buttons");
    buttons.append(button("Да, не подбирать", "block-confirm", "button button-primary"),
      button("Отмена", "block-cancel"));
    confirm.append(question, buttons, element("p", "block-error"));
    actions.replaceChildren(confirm);
    question.focus();
  }

  /** @private */
  async block(partnerId, name, confirmButton) {
    const error = confirmButton.closest(".block-confirm").querySelector(".block-error");
    error.textContent = "";
    let item;
    try {
      item = await busy(confirmButton, () => api.block(partnerId));
    } catch (failure) {
      if (!(failure instanceof SessionEnded)) error.textContent = describeError(failure);
      return;
    }
    this.blocked = new Map([[item.id, item], ...this.blocked]); // the latest first, as the server lists
    this.renderList();
    this.refreshHistory();
    this.message.textContent = `Больше не подбираем вас в пару с ${name}.`;
    this.historyEl.querySelector(`[data-partner-id="${partnerId}"] .history-blocked`)?.focus();
  }

  /** @private */
  async unblock(userId, undoButton) {
    const person = this.blocked.get(userId);
    this.message.textContent = "";
    try {
      await busy(undoButton, () => api.unblock(userId));
    } catch (failure) {
      // Lifted already (another tab): the list was out of date, so it goes.
      if (failure.status !== 404) {
        if (!(failure instanceof SessionEnded)) this.message.textContent = describeError(failure);
        return;
      }
    }
    this.blocked.delete(userId);
    this.renderList();
    this.refreshHistory();
    this.message.textContent = `${personName(person)} снова может оказаться вашей парой.`;
    this.section.querySelector("h2").focus();
  }
}
