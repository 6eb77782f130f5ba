// The API's English messages in plain Russian. The API speaks DRF's
// language (`{"field": ["message"]}`, `{"detail": "..."}`, `{"error": "..."}`);
// unknown messages are shown as they are rather than hidden behind a vague
// "something went wrong".

import { plural } from "./format.js";
import { NICK_RULE } from "./telegram-nick.js";

// v2's reset confirmation names a bad link this way; the reader needs to
// know what to do about it.
const DEAD_LINK = "Ссылка для смены пароля устарела или уже использована. Запросите новую.";

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
  "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.":
    "Неверная дата: нужен формат ГГГГ-ММ-ДД.",
  "Enter a Telegram username: @ and 5 to 32 letters, digits or underscores.": NICK_RULE,
  "No active account found with the given credentials": "Неверный email или пароль",
  "Authentication credentials were not provided.": "Войдите, чтобы продолжить.",
  "Given token not valid for any token type": "Сессия истекла, войдите снова.",
  "Token is invalid or expired": "Сессия истекла, войдите снова.",
  "Token is blacklisted": "Сессия завершена, войдите снова.",
  "Необходимо пройти авторизацию": "Сессия истекла, войдите снова.",
  "Неверный идентификатор пользователя или пользователь не существует.": DEAD_LINK,
  "Неверный токен для данного пользователя.": DEAD_LINK,
  "This server is not set up to send mail.":
    "Сервер сейчас не отправляет письма, поэтому прислать ссылку для смены пароля не получится. "
    + "Напишите администратору сервиса.",
  "Requests from this origin are not allowed here.": "Запрос с чужого сайта отклонён.",
  "Service temporarily unavailable, try again later.":
    "Сервис временно недоступен, попробуйте чуть позже.",
  "A server error occurred.": "Ошибка на сервере, попробуйте чуть позже.",
  "Invalid tg auth": "Telegram не подтвердил вход. Попробуйте ещё раз.",
  "The email belongs to another account": "Этот email принадлежит другому аккаунту.",
  "This Telegram account is already linked to another user":
    "Этот Telegram уже привязан к другому аккаунту UniMatch.",
  "Telegram login is not configured on this server": "Вход через Telegram не настроен на сервере.",
  "No Telegram bot is configured on this server.": "Бот Telegram на этом сервере не настроен.",
  "You can only block someone you have been paired with.":
    "Не подбирать можно только тех, с кем вы уже были в паре.",
  "You cannot block yourself.": "Себя не подбирают в пару и так.",
  "Answers about this pair closed when its round turned four weeks old.":
    "Ответы об этой паре больше не принимаются: раунду уже четыре недели.",
  "Not found.": "Не найдено — обновите страницу.",
  "You do not have permission to perform this action.": "У вашего аккаунта нет доступа к этому.",
  "Date must be between today and one year from today.":
    "Пауза должна кончаться не раньше сегодняшнего дня и не позже чем через год.",
};

/** "4 символов", as in "не меньше 4 символов" (`n` as the regex found it). */
const characters = (n) => `${n} ${plural(+n, ["символа", "символов", "символов"])}`;

/** "5 минут", as in "через 5 минут", for a wait of `seconds`: rounded up
 *  to the unit a person would use. */
function waitFor(seconds) {
  const s = Math.max(1, +seconds);
  if (s < 60) return `${s} ${plural(s, ["секунду", "секунды", "секунд"])}`;
  if (s < 90 * 60) {
    const m = Math.ceil(s / 60);
    return `${m} ${plural(m, ["минуту", "минуты", "минут"])}`;
  }
  const h = Math.ceil(s / 3600);
  return `${h} ${plural(h, ["час", "часа", "часов"])}`;
}

const PATTERNS = [
  [/^This password is too short\. It must contain at least (\d+) characters?\.$/,
    (n) => `Пароль слишком короткий: нужно не меньше ${characters(n)}.`],
  [/^Ensure this field has no more than (\d+) characters?\.$/,
    (n) => `Слишком длинно: не больше ${characters(n)}.`],
  [/^Invalid pk "(.+)" - object does not exist\.$/,
    () => "Такого интереса больше нет — обновите страницу и выберите снова."],
  [/^Request body is too large/, () => "Слишком большой запрос."],
  [/^Request was throttled\. Expected available in (\d+) seconds?\.$/,
    (n) => `Слишком много попыток. Попробуйте снова через ${waitFor(n)}.`],
  [/^Date must be between .+ and today\.$/,
    () => "Дата должна быть не раньше 1900 года и не позже сегодняшнего дня."],
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
