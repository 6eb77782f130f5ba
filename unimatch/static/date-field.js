// Date fields the Russian way: a text input that shows and takes ДД.ММ.ГГГГ
// whatever the browser's own locale. (<input type="date"> draws the
// browser's format: mm/dd/yyyy in an English Chrome, on a Russian page.)
// The page turns what was typed into the API's ISO date (v2) or
// DD-MM-YYYY (v1, for registering).

// What people type: 20.05.2001, 1.5.2001, 20/05/2001, 20-05-2001, or the
// digits alone (20052001); an ISO date pasted from elsewhere is taken too.
const DAY_FIRST = /^(\d{1,2})[./\- ](\d{1,2})[./\- ](\d{4})$/;
const DIGITS = /^(\d{2})(\d{2})(\d{4})$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;

/** What the page says of a date it cannot read. */
export const DATE_FORMAT_HELP = "Введите дату как ДД.ММ.ГГГГ, например 20.05.2001.";
const NO_SUCH_DAY = "Такой даты нет: проверьте день и месяц.";

const pad = (n) => String(n).padStart(2, "0");

/** What a field holds: `{iso: "2001-05-20"}`, `{iso: null}` when empty, or
 *  `{error}` (in Russian) when it is not a date. */
export function readDate(text) {
  const value = (text || "").trim();
  if (!value) return { iso: null };
  const m = DAY_FIRST.exec(value) || DIGITS.exec(value);
  const iso = ISO.exec(value);
  if (!m && !iso) return { error: DATE_FORMAT_HELP };
  const [year, month, day] = m ? [+m[3], +m[2], +m[1]] : [+iso[1], +iso[2], +iso[3]];
  // A day the calendar has: Date rolls 31.02 over into March, so compare.
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return { error: NO_SUCH_DAY };
  }
  return { iso: `${year}-${pad(month)}-${pad(day)}` };
}

/** "20.05.2001" from "2001-05-20"; "" for none. */
export function formatDate(iso) {
  const m = ISO.exec(iso || "");
  return m ? `${m[3]}.${m[2]}.${m[1]}` : "";
}

/** "20-05-2001" (v1's dates) from "2001-05-20"; null for none. */
export function isoToV1(iso) {
  const m = ISO.exec(iso || "");
  return m ? `${m[3]}-${m[2]}-${m[1]}` : null;
}

/** The dots put in while typing: "2005" → "20.05.", "20052001" → "20.05.2001";
 *  dots the user typed are kept ("1.5." stays), a second dot in a row is
 *  dropped, and the year stops at four digits. */
export function withDots(typed) {
  let done = ""; // day and month so far, each with its dot
  let part = ""; // the part being typed
  let parts = 0; // how many parts are done
  for (const char of typed) {
    if (char === ".") {
      if (part && parts < 2) {
        done += `${part}.`;
        parts += 1;
        part = "";
      }
      continue;
    }
    if (parts === 2 && part.length === 4) break;
    part += char;
    if (parts < 2 && part.length === 2) {
      done += `${part}.`;
      parts += 1;
      part = "";
    }
  }
  return done + part;
}

/** Make `input` a date field: dots appear as the user types digits, and a
 *  date it can read is written out in full when the field is left
 *  ("1.5.2001" becomes "01.05.2001"). */
export function attachDateField(input) {
  input.addEventListener("input", (event) => {
    // Only while typing forward at the end: reshaping the middle of the
    // text would move the caret under the user's fingers, and a deletion
    // must not bring back the dot it just removed.
    if (!(event.inputType || "").startsWith("insert")) return;
    if (input.selectionStart !== input.value.length) return;
    if (!/^[\d.]*$/.test(input.value)) return;
    const shaped = withDots(input.value);
    if (shaped !== input.value) input.value = shaped;
  });
  input.addEventListener("change", () => {
    const { iso } = readDate(input.value);
    if (iso) input.value = formatDate(iso);
  });
}
