// The stats page's entry point (templates/stats.html): the organisers'
// figures per round, as a table (stats-table.js) and a chart
// (stats-chart.js). The login is the main page's: the access token in
// localStorage, refreshed with the cookie like everywhere (api.js). The
// API answers staff only; anyone else is told politely that the page is
// not for them, and sees no figures.

import { api, SessionEnded, tokens, useV2Base } from "./api.js";
import { plural } from "./format.js";
import { describeError } from "./server-messages.js";
import { drawChart } from "./stats-chart.js";
import { renderTable } from "./stats-table.js";

useV2Base(document.body.dataset.v2Base || "/v2/");

const status = document.querySelector('[data-role="stats-status"]');
const stats = document.querySelector('[data-role="stats"]');
const figure = document.querySelector('[data-role="chart"]');

/** Say `text` instead of the figures, with a link back to the main page. */
function refuse(text, linkText = "На главную страницу") {
  const link = document.createElement("a");
  link.href = "/";
  link.textContent = linkText;
  status.replaceChildren(`${text} `, link);
  status.dataset.state = "refused";
  stats.hidden = true;
}

async function load() {
  if (!tokens.access) {
    refuse("Войдите на главной странице под аккаунтом организатора, затем вернитесь сюда.",
      "Войти");
    return;
  }
  let rows;
  try {
    rows = await api.stats();
  } catch (error) {
    if (error instanceof SessionEnded) {
      refuse("Сессия истекла: войдите снова на главной странице.", "Войти");
    } else if (error.status === 403) {
      refuse("Эта страница — для организаторов UniMatch, и у вашего аккаунта к ней нет доступа. "
        + "Ваша пара и история — на главной.");
    } else {
      refuse(`Не удалось загрузить статистику. ${describeError(error)}`);
    }
    return;
  }
  if (rows.length === 0) {
    status.textContent = "Раундов пока не было: цифры появятся после первого.";
    return;
  }
  status.textContent = `${rows.length} ${plural(rows.length, ["раунд", "раунда", "раундов"])}.`;
  stats.hidden = false;
  renderTable(document.querySelector('[data-role="table"]'), rows);
  drawChart(figure, rows);
  // Drawn to the figure's width: again when that changes (a phone turned).
  let drawnWidth = figure.clientWidth;
  new ResizeObserver(() => {
    if (figure.clientWidth === drawnWidth) return;
    drawnWidth = figure.clientWidth;
    drawChart(figure, rows);
  }).observe(figure);
}

load();
