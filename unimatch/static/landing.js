// The landing view, before log-in: the log-in form, the register form, and
// the two password reset forms (password-reset.js), one at a time. The
// hobby list is public, so the register form offers it before there is an
// account; sent with none ticked, the form asks once whether to go on
// without (interests are what the matcher pairs people by).

import { api } from "./api.js";
import { attachDateField, isoToV1, readDate } from "./date-field.js";
import {
  busy, checkedIds, clearErrors, clearErrorsWhenEdited, focusFirstInvalid, onSubmit,
  renderHobbyChoices, showApiError, showFieldError, showFormError,
} from "./forms.js";
import { ForgotPasswordForm, NewPasswordForm } from "./password-reset.js";
import { describeError } from "./server-messages.js";

const $ = (selector) => document.querySelector(selector);

// Each form's section, by the name its data-show-form buttons use.
const SECTIONS = { login: "#login-section", register: "#register-section",
  forgot: "#forgot-section", reset: "#reset-section" };

export class Landing {
  /**
   * @param {object} hooks
   * @param {(entry: {focus: boolean}) => Promise<void>} hooks.onLoggedIn
   *   the session has started, after a log-in or a registration; resolves
   *   once the dashboard has loaded, and the form stays busy until then
   * @param {() => void} hooks.onPasswordChanged  a reset link set a new
   *   password, which ended every session of the account
   */
  constructor({ onLoggedIn, onPasswordChanged }) {
    this.onLoggedIn = onLoggedIn;
    this.view = $("#view-landing");
    this.pageTitle = $("#page-title");
    this.sections = Object.fromEntries(
      Object.entries(SECTIONS).map(([name, selector]) => [name, $(selector)]));
    this.loginForm = $("#login-form");
    this.loginNote = this.loginForm.querySelector('[data-role="form-note"]');
    this.registerForm = $("#register-form");
    this.noHobbies = this.registerForm.querySelector('[data-role="no-hobbies"]');
    this.hobbiesDeclined = false; // "Продолжить без интересов" was pressed
    this.forgot = new ForgotPasswordForm(this.sections.forgot);
    this.newPassword = new NewPasswordForm($("#reset-form"), () => {
      this.show({ note: "Пароль изменён. Войдите с новым паролем.", focus: true });
      onPasswordChanged();
    });
    this.hobbiesLoaded = false;

    onSubmit(this.loginForm, () => this.logIn());
    onSubmit(this.registerForm, () => this.register());
    attachDateField(this.registerForm.elements.birth);
    this.noHobbies.querySelector('[data-action="pick-hobbies"]')
      .addEventListener("click", () => this.pickHobbies());
    this.noHobbies.querySelector('[data-action="skip-hobbies"]').addEventListener("click", () => {
      this.hobbiesDeclined = true;
      this.register();
    });
    // Ticking an interest answers the question.
    this.registerForm.querySelector('[data-role="hobby-choices"]')
      .addEventListener("change", () => { this.noHobbies.hidden = true; });
    clearErrorsWhenEdited(this.loginForm);
    clearErrorsWhenEdited(this.registerForm);
    for (const button of document.querySelectorAll("[data-show-form]")) {
      button.addEventListener("click", () => this.showForm(button.dataset.showForm));
    }
  }

  get shown() {
    return !this.view.hidden;
  }

  /** Show the view with the log-in form: `message` says what went wrong
   *  (session expired), `note` what went well (password changed), `focus`
   *  moves the keyboard focus to the form's heading. With `resetLink`
   *  ({uid, token} of a mailed link) the new-password form instead. */
  show({ message = "", note = "", focus = false, resetLink = null } = {}) {
    document.body.dataset.view = "landing";
    this.view.hidden = false;
    this.pageTitle.textContent = "Знакомства по интересам, раз в неделю";
    if (resetLink) {
      this.newPassword.use(resetLink);
      this.showForm("reset", { focus });
    } else {
      this.showForm("login", { focus });
    }
    clearErrors(this.loginForm);
    if (message) showFormError(this.loginForm, message);
    this.loginNote.textContent = note;
    this.loginNote.hidden = !note;
    this.loadHobbies();
  }

  hide() {
    this.view.hidden = true;
  }

  /** Show one of the forms; `focus` moves the keyboard focus to its
   *  heading, so a screen reader announces the switch. */
  showForm(which, { focus = true } = {}) {
    for (const [name, section] of Object.entries(this.sections)) section.hidden = name !== which;
    this.noHobbies.hidden = true;
    this.hobbiesDeclined = false;
    if (which === "forgot") this.forgot.reset(this.loginForm.elements.email.value.trim());
    // Away from the new-password form, the address is no longer the
    // mailed link's: a reload must not bring back a form for a spent link.
    if (which !== "reset" && location.pathname !== "/") history.replaceState(null, "", "/");
    if (focus) this.sections[which].querySelector("h2").focus();
  }

  /** @private The register form's hobby choices, fetched once. */
  async loadHobbies() {
    if (this.hobbiesLoaded) return;
    const container = this.registerForm.querySelector('[data-role="hobby-choices"]');
    try {
      renderHobbyChoices(container, await api.allHobbies(), [], "reg-hobby");
      this.hobbiesLoaded = true;
    } catch (error) {
      container.textContent = `${describeError(error)} Интересы можно будет выбрать после регистрации.`;
    }
  }

  /** @private */
  async logIn() {
    const form = this.loginForm;
    clearErrors(form);
    this.loginNote.hidden = true;
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
      await this.onLoggedIn({ focus: true });
    });
  }

  /** @private "Выбрать интересы": to the list, the first interest focused. */
  pickHobbies() {
    this.noHobbies.hidden = true;
    const fieldset = this.registerForm.querySelector("fieldset.hobbies");
    fieldset.scrollIntoView({ block: "start" });
    fieldset.querySelector('input[name="hobby"]').focus({ preventScroll: true });
  }

  /** @private */
  async register() {
    const form = this.registerForm;
    clearErrors(form);
    const f = form.elements;
    const birth = readDate(f.birth.value);
    const fields = {
      email: f.email.value.trim(),
      password: f.password.value,
      first_name: f.first_name.value.trim(),
      last_name: f.last_name.value.trim(),
      birth: isoToV1(birth.iso), // registering speaks v1
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
    if (birth.error) problems.push(["birth", birth.error]);
    if (problems.length) {
      this.noHobbies.hidden = true;
      for (const [field, message] of problems) showFieldError(form, field, [message]);
      return focusFirstInvalid(form);
    }
    // Only when there were interests to tick (the list may have failed to load).
    const offered = form.querySelector('input[name="hobby"]') !== null;
    if (offered && fields.hobby.length === 0 && !this.hobbiesDeclined) {
      this.noHobbies.hidden = false;
      // Its buttons too must be on screen, not only the text focus scrolls to.
      this.noHobbies.querySelector(".prompt-text").focus({ preventScroll: true });
      this.noHobbies.scrollIntoView({ block: "nearest" });
      return;
    }
    this.noHobbies.hidden = true;
    await busy(form, async () => {
      try {
        await api.register(fields);
      } catch (error) {
        showApiError(form, error);
        return;
      }
      form.reset();
      this.hobbiesDeclined = false;
      try {
        await api.logIn(fields.email, fields.password);
      } catch (error) {
        // The account exists: registering again would only say so.
        this.showForm("login");
        this.loginForm.elements.email.value = fields.email;
        showFormError(this.loginForm, `Аккаунт создан, но войти не получилось. ${describeError(error)}`);
        return;
      }
      await this.onLoggedIn({ focus: true });
    });
  }
}
