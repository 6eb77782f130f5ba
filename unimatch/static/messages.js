// Russian wording: plural forms, and the API's English error messages in
// plain Russian. The API speaks DRF's language (`{"field": ["message"]}`,
// `{"detail": "..."}`, `{"error": "..."}`); unknown messages are shown as
// they are rather than hidden behind a vague "something went wrong".

/** The Russian plural form of `words` ([one, few, many]) for `n`. */
export function plural(n, [one, few, many]) {
  const tens = Math.abs(n) % 100;
  const units = tens % 10;
  if (tens >= 11 && tens <= 14) return many;
  if (units === 1) return one;
  if (units >= 2 && units <= 4) return few;
  return many;
}

const EXACT = {
  "user with this email already exists.": "Пользователь с таким email уже существует.",
  "Enter a valid email address.": "Введите корректный email, например name@example.com.",
  "This field is required.": "Заполните это поле.",
  "This field may not be blank.": "Заполните это поле.",
  "This field may not be null.": "Заполните это поле.",
  "Not a valid string.": "Ожидается текст.",
  "This password is too common.": "Этот пароль слишком распространён, придумайте другой.",
  "This password is entirely numeric.": "Пароль не может состоять только из цифр.",
  "The password is too similar to the email address.": "Пароль слишком похож на email.",
  "The password is too similar to the first name.": "Пароль слишком похож на имя.",
  "The password is too similar to the last name.": "Пароль слишком похож на фамилию.",
  "Date has wrong format. Use one of these formats instead: DD-MM-YYYY.":
    "Неверная дата: нужен формат ДД-ММ-ГГГГ.",
  "No active account found with the given credentials": "Неверный email или пароль",
  "Authentication credentials were not provided.": "Войдите, чтобы продолжить.",
  "Given token not valid for any token type": "Сессия истекла, войдите снова.",
  "Token is invalid or expired": "Сессия истекла, войдите снова.",
  "Token is blacklisted": "Сессия завершена, войдите снова.",
  "Service temporarily unavailable, try again later.":
    "Сервис временно недоступен, попробуйте чуть позже.",
  "A server error occurred.": "Ошибка на сервере, попробуйте чуть позже.",
  "Invalid tg auth": "Telegram не подтвердил вход. Попробуйте ещё раз.",
  "The email belongs to another account": "Этот email принадлежит другому аккаунту.",
  "This Telegram account is already linked to another user":
    "Этот Telegram уже привязан к другому аккаунту UniMatch.",
  "Telegram login is not configured on this server": "Вход через Telegram не настроен на сервере.",
};

const PATTERNS = [
  [/^This password is too short\. It must contain at least (\d+) characters?\.$/,
    (n) => `Пароль слишком короткий: нужно не меньше ${n} ${plural(+n, ["символа", "символов", "символов"])}.`],
  [/^Ensure this field has no more than (\d+) characters?\.$/,
    (n) => `Слишком длинно: не больше ${n} ${plural(+n, ["символа", "символов", "символов"])}.`],
  [/^Invalid pk "(.+)" - object does not exist\.$/,
    () => "Такого интереса больше нет — обновите страницу и выберите снова."],
  [/^Request body is too large/, () => "Слишком большой запрос."],
];

/** `message` in Russian where we know it, otherwise unchanged. */
export function translate(message) {
  const text = String(message);
  if (EXACT[text]) return EXACT[text];
  for (const [pattern, render] of PATTERNS) {
    const match = pattern.exec(text);
    if (match) return render(...match.slice(1));
  }
  return text;
}

/** Plain words for an ApiError with no field to point at. */
export function describeError(error) {
  if (!error || error.status === undefined) return "Что-то пошло не так. Попробуйте ещё раз.";
  if (error.status === 0) return "Нет связи с сервером. Проверьте интернет и попробуйте ещё раз.";
  const body = error.body || {};
  const message = body.detail || body.error;
  if (message) return translate(message);
  if (error.status >= 500) return "Ошибка на сервере, попробуйте чуть позже.";
  return `Запрос не выполнен (код ${error.status}).`;
}

/** A partner's name for display, falling back to the email. */
export function personName(person) {
  const name = [person.first_name, person.last_name].filter(Boolean).join(" ").trim();
  return name || person.email;
}

const dayFormat = new Intl.DateTimeFormat("ru-RU", {
  day: "numeric", month: "long", year: "numeric", timeZone: "UTC",
});

/** "27 апреля 2025" from "2025-04-27". */
export function formatDay(isoDate) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate || "");
  if (!m) return isoDate || "";
  return dayFormat.format(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])));
}

/** "2000-01-20" (what <input type="date"> holds) → "20-01-2000" (the API). */
export function dateInputToApi(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
  return m ? `${m[3]}-${m[2]}-${m[1]}` : null;
}

/** "20-01-2000" (the API) → "2000-01-20" (for <input type="date">). */
export function apiDateToInput(value) {
  const m = /^(\d{2})-(\d{2})-(\d{4})$/.exec(value || "");
  return m ? `${m[3]}-${m[2]}-${m[1]}` : "";
}
