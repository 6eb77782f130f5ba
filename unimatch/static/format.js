// How the page writes things for a Russian reader: plural forms, people's
// names, and days in words. (Dates in fields: date-field.js.)

/** The Russian plural form of `words` ([one, few, many]) for `n`. */
export function plural(n, [one, few, many]) {
  const tens = Math.abs(n) % 100;
  const units = tens % 10;
  if (tens >= 11 && tens <= 14) return many;
  if (units === 1) return one;
  if (units >= 2 && units <= 4) return few;
  return many;
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
