// The organisers' chart, drawn by the page itself as inline SVG (no
// third-party script; the page's policy allows none): per round, oldest
// on the left, the number of participants (left scale) and the share of
// those who answered "did you meet?" who met (right scale, 0 to 100 %).
// The participants' line has one point per round; the "met" line only
// where someone answered (a round without answers has no share to show).
// The table below holds the same figures for screen readers.

import { plural } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const HEIGHT = 260;
const MARGIN = { top: 16, right: 48, bottom: 40, left: 48 };

function svg(tag, attributes = {}, text = "") {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, String(value));
  if (text) el.textContent = text;
  return el;
}

/** A round top for the participants' scale, at least 2: 2, 4, 6 or 8 times
 *  a power of ten (or 10 times one), so that its middle line is a whole number too. */
export function niceCeiling(value) {
  const at = Math.max(2, value);
  const power = 10 ** Math.floor(Math.log10(at));
  return [1, 2, 4, 6, 8, 10].map((step) => step * power).find((top) => top >= at);
}

/** The chart for `rows` (the API's, latest first) into `figure`, as wide
 *  as the figure is now, so its text keeps its size on a phone. */
export function drawChart(figure, rows) {
  const rounds = [...rows].reverse();
  const width = Math.max(280, Math.round(figure.clientWidth) || 640);
  const inner = { w: width - MARGIN.left - MARGIN.right, h: HEIGHT - MARGIN.top - MARGIN.bottom };
  const top = niceCeiling(Math.max(...rounds.map((r) => r.participants)));
  const x = (i) => MARGIN.left + (rounds.length === 1 ? inner.w / 2 : (i * inner.w) / (rounds.length - 1));
  const yCount = (n) => MARGIN.top + inner.h * (1 - n / top);
  const yShare = (share) => MARGIN.top + inner.h * (1 - share);

  const chart = svg("svg", { viewBox: `0 0 ${width} ${HEIGHT}`, width, height: HEIGHT, role: "img",
    "aria-label": `Участники и доля встретившихся по ${rounds.length} `
      + `${plural(rounds.length, ["раунду", "раундам", "раундам"])}; те же числа — в таблице ниже.` });
  for (const fraction of [0, 0.5, 1]) {
    const y = MARGIN.top + inner.h * (1 - fraction);
    chart.append(
      svg("line", { class: "grid", x1: MARGIN.left, x2: width - MARGIN.right, y1: y, y2: y }),
      svg("text", { class: "axis axis-count", x: MARGIN.left - 8, y: y + 4, "text-anchor": "end" },
        String(Math.round(top * fraction))),
      svg("text", { class: "axis axis-share", x: width - MARGIN.right + 8, y: y + 4 },
        `${Math.round(fraction * 100)} %`));
  }
  // Round numbers along the bottom, thinned out where they would crowd.
  const every = Math.ceil(rounds.length / Math.max(1, Math.floor(inner.w / 36)));
  rounds.forEach((round, i) => {
    if ((rounds.length - 1 - i) % every === 0) {
      chart.append(svg("text", { class: "axis", x: x(i), y: HEIGHT - MARGIN.bottom + 20,
        "text-anchor": "middle" }, `№${round.round}`));
    }
  });

  const counted = rounds.map((round, i) => ({ round, x: x(i), y: yCount(round.participants) }));
  const met = rounds.flatMap((round, i) => (round.met_share === null ? []
    : [{ round, x: x(i), y: yShare(round.met_share) }]));
  chart.append(series("participants", counted, (r) => `${r.participants} `
    + `${plural(r.participants, ["участник", "участника", "участников"])}`));
  chart.append(series("met", met, (r) => `встретились ${Math.round(r.met_share * 100)} %`));
  figure.replaceChildren(chart, legend());
}

/** One line with a dot per point, each dot titled with its round and value. */
function series(name, points, describe) {
  const group = svg("g", { class: `series series-${name}`, "data-series": name });
  group.append(svg("polyline", { points: points.map((p) => `${p.x},${p.y}`).join(" ") }));
  for (const point of points) {
    const dot = svg("circle", { cx: point.x, cy: point.y, r: 4 });
    dot.append(svg("title", {}, `Раунд №${point.round.round}: ${describe(point.round)}`));
    group.append(dot);
  }
  return group;
}

function legend() {
  const caption = document.createElement("figcaption");
  caption.className = "stats-legend";
  for (const [name, label] of [["participants", "Участники (шкала слева)"],
    ["met", "Встретились, доля ответивших (шкала справа)"]]) {
    const item = document.createElement("span");
    item.className = `legend legend-${name}`;
    item.textContent = label;
    caption.append(item);
  }
  return caption;
}
