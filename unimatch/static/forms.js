// Showing errors where they belong. Each input has an error paragraph
// `<p class="field-error" data-error-for="FIELD">` that its
// aria-describedby points at, so a screen reader reads the error with the
// field; problems no field owns go to the form's `[data-role="form-error"]`.

import { describeError, translate } from "./server-messages.js";

const FORM_LEVEL_KEYS = new Set(["detail", "error", "non_field_errors"]);

/** `[attribute="value"]` for any value: field names come from the server's
 *  error bodies, and a quote or backslash in one must not break (or steer)
 *  the selector. */
function attributeIs(attribute, value) {
  return `[${attribute}="${CSS.escape(value)}"]`;
}

/** Remove every error message from `form`. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll("[data-error-for]")) el.textContent = "";
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute("aria-invalid");
  const formError = form.querySelector('[data-role="form-error"]');
  if (formError) {
    formError.textContent = "";
    formError.hidden = true;
  }
}

/** Forget the error of one field (the user is fixing it). */
export function clearFieldError(form, field) {
  const slot = field && form.querySelector(attributeIs("data-error-for", field));
  if (!slot || !slot.textContent) return;
  slot.textContent = "";
  for (const input of form.querySelectorAll(attributeIs("name", field))) {
    input.removeAttribute("aria-invalid");
    input.closest("fieldset")?.removeAttribute("aria-invalid");
  }
}

/** Run `handle()` when `form` is submitted, instead of the browser's own
 *  submission (which would reload the page). */
export function onSubmit(form, handle) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    handle();
  });
}

/** From now on, editing a field takes its error message away. */
export function clearErrorsWhenEdited(form) {
  form.addEventListener("input", (event) => clearFieldError(form, event.target.name));
}

/** Show `messages` (already in Russian) next to `field`; false when the
 *  form has no place for that field. */
export function showFieldError(form, field, messages) {
  const slot = form.querySelector(attributeIs("data-error-for", field));
  if (!slot) return false;
  slot.textContent = messages.join(" ");
  const inputs = form.querySelectorAll(attributeIs("name", field));
  if (inputs.length === 1) {
    inputs[0].setAttribute("aria-invalid", "true");
  } else if (inputs.length > 1) {
    // A group (the hobby checkboxes) is marked on its fieldset.
    inputs[0].closest("fieldset")?.setAttribute("aria-invalid", "true");
  }
  return true;
}

/** Show a message for the whole form. */
export function showFormError(form, message) {
  const slot = form.querySelector('[data-role="form-error"]');
  slot.textContent = message;
  slot.hidden = false;
}

/** Put an ApiError's messages in place: DRF field errors next to their
 *  inputs (translated), everything else as a form-level message. Then move
 *  the focus to the first field to fix, as a keyboard user would need. */
export function showApiError(form, error) {
  clearErrors(form);
  const body = error && error.body;
  const fieldErrors = error && error.status === 400 && body && typeof body === "object"
    ? Object.entries(body).filter(([key, value]) => !FORM_LEVEL_KEYS.has(key) && Array.isArray(value))
    : [];
  if (fieldErrors.length === 0) {
    showFormError(form, describeError(error));
    return;
  }
  const orphans = [];
  for (const [field, messages] of fieldErrors) {
    const russian = messages.map(translate);
    if (!showFieldError(form, field, russian)) orphans.push(...russian);
  }
  if (body.detail || body.error) orphans.unshift(translate(body.detail || body.error));
  if (orphans.length) showFormError(form, orphans.join(" "));
  focusFirstInvalid(form);
}

/** Focus the first field marked invalid (or the form-level message). */
export function focusFirstInvalid(form) {
  let target = form.querySelector('[aria-invalid="true"]')
    || form.querySelector('[data-role="form-error"]:not([hidden])');
  if (target && target.matches("fieldset")) target = target.querySelector("input");
  if (target) target.focus();
}

/** Disable the submit button while `work()` runs, so a double tap on a
 *  phone does not send the form twice. `form` may be a button itself,
 *  for actions outside a form. */
export async function busy(form, work) {
  const button = form.matches("button") ? form : form.querySelector('[type="submit"]');
  const label = button && button.textContent;
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    if (button.dataset.busyLabel) button.textContent = button.dataset.busyLabel;
  }
  try {
    return await work();
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = label;
    }
  }
}

/** Say `text` in the form's `[data-role="saved"]` line for a few seconds. */
export function flashSaved(form, text) {
  const slot = form.querySelector('[data-role="saved"]');
  slot.textContent = text;
  clearTimeout(slot.timer);
  slot.timer = setTimeout(() => { slot.textContent = ""; }, 4000);
}

/** The ids of the checked boxes named `name` in `form`. */
export function checkedIds(form, name) {
  return [...form.querySelectorAll(`input${attributeIs("name", name)}:checked`)]
    .map((box) => Number(box.value));
}

/** Fill `container` with one checkbox "chip" per hobby. */
export function renderHobbyChoices(container, hobbies, selectedIds, idPrefix) {
  const selected = new Set(selectedIds);
  container.replaceChildren(...hobbies.map((hobby) => {
    const label = document.createElement("label");
    label.className = "chip";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "hobby";
    box.value = String(hobby.id);
    box.id = `${idPrefix}-${hobby.id}`;
    box.checked = selected.has(hobby.id);
    const face = document.createElement("span");
    face.className = "chip-face";
    // The +/✓ mark is decoration: the checkbox already says checked or not.
    const mark = document.createElement("span");
    mark.className = "chip-mark";
    mark.setAttribute("aria-hidden", "true");
    face.append(mark, hobby.name);
    label.append(box, face);
    return label;
  }));
}
