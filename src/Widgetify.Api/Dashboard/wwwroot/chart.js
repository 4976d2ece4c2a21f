// A small time-series line chart drawn on <canvas>, enough for the operator dashboard: a fixed time window ending at
// the newest sample, lines with gaps where a second is missing or a value is null, dashed lines for limits, a linear
// or logarithmic y axis. Colours come from the page's CSS custom properties, so the chart follows light/dark.
//
// The chart also states what it shows without pixels: the canvas gets data-points (samples drawn), data-last (the
// primary series' newest value), data-last-<series key> for every series and data-markers (events marked in the
// window), and the "numbers" element next to the title shows each series' newest value as text. Tests and screen
// readers read those.

const PAD = { left: 52, right: 10, top: 8, bottom: 18 };
// Consecutive samples further apart than this are not joined: the instance missed seconds (restart, stall).
const MAX_JOIN_GAP_MS = 2500;

export class TimeChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {HTMLElement} numbers where each series' label and newest value are written
   * @param {{ windowSeconds: number, format: (v: number) => string, scale?: 'linear' | 'log', floor?: number,
   *   minTop?: number, series: { key: string, label: string, color: string, dashed?: boolean, primary?: boolean,
   *   value: (sample: object, response: object) => number | null | undefined }[] }} options
   */
  constructor(canvas, numbers, options) {
    this.canvas = canvas;
    this.options = options;
    this.times = [];
    this.values = options.series.map(() => []);
    this.markers = [];
    this.readouts = options.series.map((s) => addReadout(numbers, s));
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** Replaces the chart's data with the samples of one signals response (oldest first) and redraws. */
  update(samples, response) {
    this.times = samples.map((s) => Date.parse(s.at));
    this.values = this.options.series.map((s) => samples.map((sample) => finiteOrNull(s.value(sample, response))));
    this.canvas.dataset.points = String(samples.length);
    this.options.series.forEach((s, i) => {
      const last = this.values[i].length ? this.values[i][this.values[i].length - 1] : null;
      const text = last === null ? '' : String(last);
      this.canvas.dataset[datasetName(s.key)] = text;
      if (s.primary) this.canvas.dataset.last = text;
      this.readouts[i].textContent = last === null ? '–' : this.options.format(last);
    });
    this.draw();
  }

  /** Events to mark from the next draw on, each { at: epoch ms, label: a few characters, color: a CSS custom property
   * name }; the ones inside the window get a vertical line with their label at the top. */
  setMarkers(markers) {
    this.markers = markers;
  }

  draw() {
    const rect = this.canvas.getBoundingClientRect();
    if (rect.width < 1 || rect.height < 1) return; // hidden (key form shown): drawn again when visible
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(rect.width * ratio);
    const height = Math.round(rect.height * ratio);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }

    const ctx = this.canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, rect.width, rect.height);
    const style = getComputedStyle(this.canvas);
    const color = (name) => style.getPropertyValue(`--${name}`).trim() || '#888';
    ctx.font = `11px ${style.fontFamily}`;

    const plot = { x: PAD.left, y: PAD.top, w: rect.width - PAD.left - PAD.right, h: rect.height - PAD.top - PAD.bottom };
    const end = this.times.length ? this.times[this.times.length - 1] : Date.now();
    const start = end - this.options.windowSeconds * 1000;
    const xOf = (t) => plot.x + ((t - start) / (end - start)) * plot.w;
    const y = this.yAxis();
    const yOf = (v) => plot.y + plot.h - y.fraction(v) * plot.h;

    this.drawGrid(ctx, plot, y, yOf, color);
    this.drawTimeAxis(ctx, plot, start, end, xOf, color);
    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.x, plot.y - 1, plot.w, plot.h + 2);
    ctx.clip();
    this.options.series.forEach((s, i) => this.drawSeries(ctx, this.values[i], start, xOf, yOf, color(s.color), s.dashed));
    this.canvas.dataset.markers = String(this.drawMarkers(ctx, plot, start, end, xOf, color));
    ctx.restore();
  }

  /** The y range: from 0 (or the log floor) to a round number above every value, limits included. */
  yAxis() {
    let top = this.options.minTop ?? 1;
    for (const series of this.values) {
      for (const v of series) if (v !== null && v > top) top = v;
    }

    if (this.options.scale === 'log') {
      const floor = this.options.floor ?? 0.001;
      const lo = Math.log10(floor);
      const hi = Math.max(lo + 1, Math.ceil(Math.log10(top * 1.05)));
      const ticks = [];
      for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
      return { ticks, fraction: (v) => (Math.log10(Math.max(v, floor)) - lo) / (hi - lo) };
    }

    // About four gridlines at a round step (1, 2, 2.5 or 5 times a power of ten), the top one just above the data.
    const step = niceCeil((top * 1.05) / 4);
    const max = step * Math.ceil((top * 1.05) / step);
    const ticks = [];
    for (let tick = 0; tick <= max + step / 2; tick += step) ticks.push(tick);
    return { ticks, fraction: (v) => v / max };
  }

  drawGrid(ctx, plot, y, yOf, color) {
    ctx.lineWidth = 1;
    ctx.setLineDash([]);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const tick of y.ticks) {
      const py = Math.round(yOf(tick)) + 0.5;
      ctx.strokeStyle = color('grid');
      ctx.beginPath();
      ctx.moveTo(plot.x, py);
      ctx.lineTo(plot.x + plot.w, py);
      ctx.stroke();
      ctx.fillStyle = color('muted');
      ctx.fillText(this.options.format(tick), plot.x - 6, py);
    }
  }

  drawTimeAxis(ctx, plot, start, end, xOf, color) {
    ctx.fillStyle = color('muted');
    ctx.textBaseline = 'top';
    const minutes = Math.floor((end - start) / 60000);
    for (let m = 0; m <= minutes; m++) {
      const px = xOf(end - m * 60000);
      // The end labels lean inwards so they stay clear of the y-axis labels and the panel's edge.
      ctx.textAlign = m === 0 ? 'right' : px - plot.x < 16 ? 'left' : 'center';
      ctx.fillText(m === 0 ? 'now' : `-${m}m`, px, plot.y + plot.h + 4);
    }
  }

  /** Draws the markers inside the window over the series, each a dotted line with its label on a patch of the
   * panel's colour (legible over the lines it crosses), kept inside the plot at the window's edges. */
  drawMarkers(ctx, plot, start, end, xOf, color) {
    const visible = this.markers.filter((m) => m.at >= start && m.at <= end);
    ctx.lineWidth = 1;
    ctx.setLineDash([2, 3]);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const marker of visible) {
      const stroke = color(marker.color);
      const px = Math.round(xOf(marker.at)) + 0.5;
      ctx.strokeStyle = stroke;
      ctx.beginPath();
      ctx.moveTo(px, plot.y);
      ctx.lineTo(px, plot.y + plot.h);
      ctx.stroke();
      const width = ctx.measureText(marker.label).width + 6;
      const lx = Math.min(Math.max(px, plot.x + width / 2), plot.x + plot.w - width / 2);
      ctx.fillStyle = color('panel');
      ctx.fillRect(lx - width / 2, plot.y, width, 14);
      ctx.fillStyle = stroke;
      ctx.fillText(marker.label, lx, plot.y + 1);
    }
    return visible.length;
  }

  drawSeries(ctx, values, start, xOf, yOf, stroke, dashed) {
    ctx.strokeStyle = stroke;
    ctx.fillStyle = stroke;
    ctx.lineWidth = dashed ? 1.25 : 1.75;
    ctx.setLineDash(dashed ? [5, 4] : []);
    let run = [];
    const flush = () => {
      if (run.length === 1) {
        ctx.fillRect(run[0][0] - 1.5, run[0][1] - 1.5, 3, 3); // a lone point still shows
      } else if (run.length > 1) {
        ctx.beginPath();
        run.forEach(([px, py], i) => (i === 0 ? ctx.moveTo(px, py) : ctx.lineTo(px, py)));
        ctx.stroke();
      }
      run = [];
    };
    for (let i = 0; i < values.length; i++) {
      const t = this.times[i];
      if (values[i] === null || Number.isNaN(t) || t < start) {
        flush();
        continue;
      }
      if (i > 0 && t - this.times[i - 1] > MAX_JOIN_GAP_MS) flush();
      run.push([xOf(t), yOf(values[i])]);
    }
    flush();
  }
}

function addReadout(numbers, series) {
  const item = document.createElement('span');
  const swatch = document.createElement('i');
  swatch.className = `swatch ${series.color}${series.dashed ? ' dashed' : ''}`;
  const value = document.createElement('b');
  value.textContent = '–';
  value.dataset.series = series.key;
  item.append(swatch, `${series.label} `, value);
  numbers.append(item);
  return value;
}

function finiteOrNull(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

// 'inFlight' -> 'lastInFlight', which the DOM shows as data-last-in-flight.
function datasetName(key) {
  return `last${key[0].toUpperCase()}${key.slice(1)}`;
}

function niceCeil(v) {
  if (!(v > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * power >= v) return m * power;
  }
  return 10 * power;
}
