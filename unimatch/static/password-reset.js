// "Забыли пароль?": the form that asks for a reset link by mail, and the
// form behind the mailed link (`/password-reset/<uid>/<token>`, which the
// server answers with this page) that sets the new password.

import { api } from "./api.js";
import {
  busy, clearErrors, clearErrorsWhenEdited, focusFirstInvalid, onSubmit, showApiError,
  showFieldError,
} from "./forms.js";

const RESET_PATH = /^\/password-reset\/([^/]+)\/([^/]+)\/?$/;

/** The uid and token of a reset link's path, or null for any other path. */
export function resetLinkFromPath(pathname) {
  const m = RESET_PATH.exec(pathname);
  if (!m) return null;
  try {
    return { uid: decodeURIComponent(m[1]), token: decodeURIComponent(m[2]) };
  } catch {
    return null; // a mangled link: no form can help with it
  }
}

/** The form that asks for a link. */
export class ForgotPasswordForm {
  /** @param {HTMLElement} section  holds the form and its [data-role="sent"] note */
  constructor(section) {
    this.section = section;
    this.form = section.querySelector("form");
    this.sent = section.querySelector('[data-role="sent"]');
    onSubmit(this.form, () => this.submit());
    clearErrorsWhenEdited(this.form);
  }

  /** Start over, with `email` (what the log-in form holds) filled in. */
  reset(email) {
    clearErrors(this.form);
    this.form.hidden = false;
    this.sent.hidden = true;
    this.form.elements.email.value = email;
  }

  /** @private */
  async submit() {
    const form = this.form;
    clearErrors(form);
    const email = form.elements.email.value.trim();
    if (!email) {
      showFieldError(form, "email", ["Введите email."]);
      return focusFirstInvalid(form);
    }
    await busy(form, async () => {
      try {
        await api.requestPasswordReset(email);
      } catch (error) {
        showApiError(form, error);
        return;
      }
      // The server answers alike whether or not the address has an
      // account (nobody learns who is registered), and so does the page.
      this.sent.textContent = `Если ${email} — адрес аккаунта UniMatch, на него ушло письмо `
        + "со ссылкой для смены пароля. Проверьте почту, в том числе папку «Спам».";
      form.hidden = true;
      this.sent.hidden = false;
      this.sent.focus();
    });
  }
}

/** The form behind a mailed link. */
export class NewPasswordForm {
  /**
   * @param {HTMLFormElement} form
   * @param {() => void} onChanged  the password is set (and every session of the account ended)
   */
  constructor(form, onChanged) {
    this.form = form;
    this.onChanged = onChanged;
    this.link = null;
    onSubmit(form, () => this.submit());
    clearErrorsWhenEdited(form);
  }

  /** Ask for a new password for `link` ({uid, token}). */
  use(link) {
    this.link = link;
    this.form.reset();
    clearErrors(this.form);
  }

  /** @private */
  async submit() {
    const form = this.form;
    clearErrors(form);
    const password = form.elements.new_password.value;
    if (!password) {
      showFieldError(form, "new_password", ["Придумайте новый пароль."]);
    } else if (form.elements.new_password2.value !== password) {
      showFieldError(form, "new_password2", ["Пароли не совпадают."]);
    }
    if (!password || form.elements.new_password2.value !== password) return focusFirstInvalid(form);
    await busy(form, async () => {
      try {
        await api.confirmPasswordReset(this.link.uid, this.link.token, password);
      } catch (error) {
        showApiError(form, error); // uid and token have no field: their message is the form's
        return;
      }
      form.reset();
      this.onChanged();
    });
  }
}
