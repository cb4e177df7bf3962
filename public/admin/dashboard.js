/**
 * The operator dashboard's script (no framework, nothing from another origin). It asks
 * GET /admin/dashboard/session whether the browser is signed in; if not it shows the sign-in form,
 * which sends the operator secret once to POST /admin/dashboard/session (the answer sets an HttpOnly
 * session cookie; the secret is never kept, put in a URL or stored). Signed in, it reads
 * GET /admin/v1/metrics for the chosen window and GET /admin/v1/audit_log every 15 seconds, with
 * the cookie and no token. Every value from the API goes into the page as text (textContent).
 */
import { line, lineChart } from "./charts.js";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 15_000;
/** Interval (seconds) per window length (seconds): about 60 to 100 points per chart. */
const INTERVALS = { 3600: 60, 21600: 300, 86400: 900 };
const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const percent = (v) => `${number.format(v)}%`;
const ms = (v) => `${number.format(v)} ms`;

const charts = {
  requests: lineChart($("chart-requests"), {
    lines: [line("Requests/s", "#3346c7")],
    format: (v) => number.format(v),
    range: (_u, _min, max) => [0, Math.max(max * 1.1, 1)],
  }),
  success: lineChart($("chart-success"), {
    lines: [line("Success rate", "#1b7f3b")],
    format: percent,
    range: [0, 100],
  }),
  errors: lineChart($("chart-errors"), {
    lines: [line("4xx", "#b06000"), line("5xx", "#b00020", [6, 4])],
    format: percent,
    range: (_u, _min, max) => [0, Math.max(max * 1.1, 1)],
  }),
  latency: lineChart($("chart-latency"), {
    lines: [line("p50", "#3346c7"), line("p95", "#8a3ab9", [6, 4]), line("p99", "#b00020", [2, 3])],
    format: ms,
    range: (_u, _min, max) => [0, Math.max(max * 1.1, 1)],
  }),
};

let timer;
let loading = false;

/** Shows one of the page's states (loading, login, dashboard) and hides the others. */
function show(state) {
  for (const id of ["loading", "login", "dashboard"]) $(id).hidden = id !== state;
  $("who").hidden = state !== "dashboard";
  $("main").setAttribute("aria-busy", String(state === "loading"));
}

/** The sign-in form, with an optional notice (e.g. the session ended). */
function showLogin(notice = "") {
  clearInterval(timer);
  timer = undefined;
  $("login-notice").textContent = notice;
  $("login-error").textContent = "";
  show("login");
  $("secret").focus();
}

/** The dashboard for `operator`; starts the refresh. */
function showDashboard(operator) {
  $("who-text").textContent = `Signed in as ${operator}`;
  show("dashboard");
  for (const chart of Object.values(charts)) chart.resize();
  clearInterval(timer);
  timer = setInterval(() => {
    if (!document.hidden) void refresh();
  }, REFRESH_MS);
  void refresh();
}

/** An API read with the session cookie; a 401 means the session is over. */
async function read(path) {
  const res = await fetch(path, { headers: { accept: "application/json" }, credentials: "same-origin" });
  if (res.status === 401) throw new SessionEnded();
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error?.message ?? `The gateway answered ${res.status}.`);
  return body;
}

class SessionEnded extends Error {}

/** The chosen window, in seconds. */
function windowSeconds() {
  return Number(document.querySelector('input[name="window"]:checked')?.value ?? 3600);
}

/** Reads the metrics and the audit log and redraws everything. */
async function refresh() {
  if (loading) return;
  loading = true;
  try {
    const span = windowSeconds();
    const interval = INTERVALS[span] ?? 60;
    const to = Math.floor(Date.now() / 1000);
    const query = new URLSearchParams({ from: String(to - span), to: String(to), interval: String(interval) });
    const [report, audit] = await Promise.all([
      read(`/admin/v1/metrics?${query}`),
      read("/admin/v1/audit_log?limit=20"),
    ]);
    drawCharts(report);
    drawTiles(report.totals);
    drawDeclines(report.totals.declines);
    drawMerchants(report.top_merchants);
    drawAudit(audit.data);
    $("data-error").textContent = "";
    $("updated").textContent = `Updated ${new Date().toISOString().slice(11, 19)} UTC; refreshes every 15 s.`;
  } catch (err) {
    if (err instanceof SessionEnded) showLogin("Your session has ended. Sign in again.");
    else $("data-error").textContent = `Could not load the data: ${err.message}`;
  } finally {
    loading = false;
  }
}

/** The four charts from the report's intervals. */
function drawCharts(report) {
  const rows = report.intervals;
  const xs = rows.map((r) => r.start);
  const seen = (r, v) => (r.requests > 0 ? v : null);
  charts.requests.draw(xs, [rows.map((r) => seen(r, r.requests / report.interval))]);
  charts.success.draw(xs, [
    rows.map((r) => (r.authorizations.success_rate === null ? null : r.authorizations.success_rate * 100)),
  ]);
  charts.errors.draw(xs, [
    rows.map((r) => seen(r, r.error_rate["4xx"] * 100)),
    rows.map((r) => seen(r, r.error_rate["5xx"] * 100)),
  ]);
  charts.latency.draw(xs, [
    rows.map((r) => r.latency_ms.p50),
    rows.map((r) => r.latency_ms.p95),
    rows.map((r) => r.latency_ms.p99),
  ]);
}

/** The summary figures of the whole window. */
function drawTiles(totals) {
  const rate = totals.authorizations.success_rate;
  $("tile-requests").textContent = number.format(totals.requests);
  $("tile-success").textContent = rate === null ? "–" : percent(rate * 100);
  $("tile-errors").textContent =
    `${percent(totals.error_rate["4xx"] * 100)} / ${percent(totals.error_rate["5xx"] * 100)}`;
  $("tile-p95").textContent = totals.latency_ms.p95 === null ? "–" : ms(totals.latency_ms.p95);
}

/** Replaces a table's rows with `rows` (arrays of cell texts; `numeric` columns right-aligned). */
function fillTable(id, rows, numeric = []) {
  const table = $(id);
  const body = table.tBodies[0];
  body.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement("tr");
      for (const [i, text] of cells.entries()) {
        const td = document.createElement("td");
        td.textContent = text;
        if (numeric.includes(i)) td.className = "num";
        tr.append(td);
      }
      return tr;
    }),
  );
  table.hidden = rows.length === 0;
  table.closest("section").querySelector(".empty").hidden = rows.length > 0;
}

function drawDeclines(declines) {
  const rows = Object.entries(declines)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, 10)
    .map(([code, count]) => [code, number.format(count)]);
  fillTable("declines", rows, [1]);
}

function drawMerchants(merchants) {
  const rows = merchants.map((m) => [
    m.merchant,
    number.format(m.requests),
    number.format(m.errors_4xx),
    number.format(m.errors_5xx),
  ]);
  fillTable("merchants", rows, [1, 2, 3]);
}

function drawAudit(entries) {
  const when = (t) => new Date(t * 1000).toISOString().slice(0, 19).replace("T", " ");
  fillTable(
    "audit",
    entries.map((e) => [when(e.created), e.actor, e.action, e.target_id]),
  );
}

/** Signs in with the secret in the form; the answer's cookie is the session. */
async function login(event) {
  event.preventDefault();
  const input = $("secret");
  const error = $("login-error");
  error.textContent = "";
  if (input.value.trim() === "") {
    error.textContent = "Enter an operator secret.";
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  $("login-submit").disabled = true;
  try {
    const res = await fetch("/admin/dashboard/session", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ secret: input.value.trim() }),
      credentials: "same-origin",
    });
    input.value = "";
    const body = await res.json().catch(() => null);
    if (res.ok) {
      input.removeAttribute("aria-invalid");
      showDashboard(body.operator);
      $("dashboard-title").focus();
      return;
    }
    input.setAttribute("aria-invalid", "true");
    if (res.status === 401) error.textContent = "That secret was not accepted.";
    else if (res.status === 429) {
      error.textContent = `Too many failed sign-ins. Try again in ${res.headers.get("retry-after") ?? "a few"} seconds.`;
    } else error.textContent = body?.error?.message ?? `The gateway answered ${res.status}.`;
    input.focus();
  } catch {
    error.textContent = "The gateway could not be reached.";
  } finally {
    $("login-submit").disabled = false;
  }
}

async function logout() {
  await fetch("/admin/dashboard/logout", { method: "POST", credentials: "same-origin" }).catch(() => undefined);
  showLogin("Signed out.");
}

async function start() {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  for (const radio of document.querySelectorAll('input[name="window"]')) {
    radio.addEventListener("change", () => void refresh());
  }
  new ResizeObserver(() => {
    for (const chart of Object.values(charts)) chart.resize();
  }).observe($("dashboard"));
  try {
    const res = await fetch("/admin/dashboard/session", { headers: { accept: "application/json" } });
    const state = await res.json();
    if (res.ok && typeof state.operator === "string") showDashboard(state.operator);
    else showLogin();
  } catch {
    showLogin("The gateway could not be reached.");
  }
}

void start();
