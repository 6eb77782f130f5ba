// People's Telegram usernames, as the profile takes them and the match card
// links to them. The rule is the server's (`@` and 5 to 32 Latin letters,
// digits or underscores), so a nick the page accepts is never refused.

const NICK = /^@[A-Za-z0-9_]{5,32}$/;

/** What to write, in the words the page shows next to the field. */
export const NICK_RULE =
  "Ник в Telegram: @ и от 5 до 32 латинских букв, цифр или знаков подчёркивания, например @ivan_petrov.";

/** Whether `value` (already trimmed) is a nick the server takes. */
export function isTelegramNick(value) {
  return NICK.test(value);
}

/** The https://t.me/ link for a nick, or null for none (an empty value or
 *  anything the rule would have refused: no link is better than a wrong one). */
export function telegramUrl(nick) {
  return isTelegramNick(nick || "") ? `https://t.me/${nick.slice(1)}` : null;
}
