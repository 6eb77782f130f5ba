// The organisers' table: one row per round from `admin-api/stats/`
// (latest first, as the server sends them), in Russian, with shares as
// whole percentages and "—" where there was nothing to count.

import { formatDate } from "./date-field.js";

const rating = new Intl.NumberFormat("ru-RU", { maximumFractionDigits: 2 });

/** "82 %" (a no-break space, as Russian writes it) for 0.82; "—" for null. */
export function percent(share) {
  return share === null || share === undefined ? "—" : `${Math.round(share * 100)}\u00a0%`;
}

/** "3,88" for 3.875; "—" for null. */
export function meanRating(value) {
  return value === null || value === undefined ? "—" : rating.format(value);
}

// [heading, how a row's cell reads]
const COLUMNS = [
  ["№", (row) => String(row.round)],
  ["Дата", (row) => formatDate(row.created_at)],
  ["Участники", (row) => String(row.participants)],
  ["Групп", (row) => String(row.groups)],
  ["Троек", (row) => String(row.trios)],
  ["Повторов", (row) => String(row.repeats)],
  ["С общим интересом", (row) => percent(row.sharing_share)],
  ["Ответили", (row) => percent(row.answered_share)],
  ["Встретились", (row) => percent(row.met_share)],
  ["Средняя оценка", (row) => meanRating(row.mean_rating)],
];

function cell(tag, content) {
  const el = document.createElement(tag);
  el.textContent = content;
  return el;
}

/** Fill `table` with a heading row and one row per round. */
export function renderTable(table, rows) {
  const caption = cell("caption", "Статистика по раундам, новые сверху");
  caption.className = "visually-hidden";
  const head = document.createElement("thead");
  const headRow = document.createElement("tr");
  for (const [heading] of COLUMNS) {
    const th = cell("th", heading);
    th.scope = "col";
    headRow.append(th);
  }
  head.append(headRow);
  const body = document.createElement("tbody");
  for (const row of rows) {
    const tr = document.createElement("tr");
    tr.dataset.round = String(row.round);
    COLUMNS.forEach(([, read], index) => {
      const td = cell(index === 0 ? "th" : "td", read(row));
      if (index === 0) td.scope = "row";
      tr.append(td);
    });
    body.append(tr);
  }
  table.replaceChildren(caption, head, body);
}
