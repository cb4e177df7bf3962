/**
 * Line charts of the operator dashboard, drawn by uPlot (vendored into /admin/vendor/ by
 * scripts/vendor-assets.ts, loaded before this module as the global `uPlot`). Times are unix
 * seconds shown in UTC. Each chart's container carries `data-points`: how many intervals it has
 * data for, set after every draw (the browser test reads it).
 */

const HEIGHT = 180;
const AXIS = { stroke: "#5b5b6e", grid: { stroke: "#e6e6ec", width: 1 }, ticks: { stroke: "#d4d4dc", width: 1 } };

/** `HH:MM` of a unix time, in UTC. */
function utcMinute(seconds) {
  return new Date(seconds * 1000).toISOString().slice(11, 16);
}

/** One line of a chart: its legend label and colour, optionally dashed. */
export function line(label, stroke, dash) {
  return { label, stroke, width: 2, dash, spanGaps: false, points: { show: true, size: 5, fill: stroke } };
}

/** How many x positions have a value in at least one series. */
function pointsWithData(series) {
  let count = 0;
  const length = series[0]?.length ?? 0;
  for (let i = 0; i < length; i++) {
    if (series.some((values) => values[i] !== null && values[i] !== undefined)) count++;
  }
  return count;
}

/**
 * A line chart in `el` of `lines` (from `line()`), its y axis written by `format` and ranged by
 * `range` (uPlot's scale range). `draw(xs, series)` draws or redraws it; `resize()` fits it to `el`.
 */
export function lineChart(el, { lines, format, range }) {
  let plot;
  const width = () => Math.max(Math.floor(el.clientWidth), 240);
  const options = () => ({
    width: width(),
    height: HEIGHT,
    scales: { x: { time: true }, y: { range } },
    series: [
      { label: "Time (UTC)", value: (_u, v) => (v == null ? "–" : utcMinute(v)) },
      ...lines.map((l) => ({ ...l, value: (_u, v) => (v == null ? "–" : format(v)) })),
    ],
    axes: [
      { ...AXIS, values: (_u, ticks) => ticks.map(utcMinute) },
      { ...AXIS, size: 64, values: (_u, ticks) => ticks.map(format) },
    ],
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  });
  return {
    draw(xs, series) {
      const data = [xs, ...series];
      if (plot) plot.setData(data);
      else plot = new globalThis.uPlot(options(), data, el);
      el.dataset.points = String(pointsWithData(series));
    },
    resize() {
      if (plot && plot.width !== width()) plot.setSize({ width: width(), height: HEIGHT });
    },
  };
}
