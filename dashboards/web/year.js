// year.js: the scrutiny table of one financial year for one scope, as councils put
// it before their panels: per KPI a Target row and an Actual row, one column per
// month (from GET /v1/kpis/series, monthly: each month's target is the one in force
// on its first day) and the year to date (GET /v1/kpis?period=fy-YYYY), with status
// as colour and symbol; then a trend chart per KPI with its target as a line.
// URL: year.html?scope=S&fy=YYYY[&kpi=KEY...] (default KPIs below; kpi= picks and orders).
"use strict";

const DEFAULT_KPIS = ["offered", "answered_pct", "abandoned_pct", "service_level_pct", "asa_s",
                      "aht_s", "fcr_pct", "repeat_fcr_pct"];

function rowHeading(row, text) {
  const th = document.createElement("th");
  th.scope = "row";
  th.textContent = text;
  row.appendChild(th);
  return th;
}

function targetCell(row, key, figure) {
  const td = row.insertCell();
  const target = figure && "target" in figure ? figure.target : undefined;
  td.className = "target";
  td.dataset.value = target === null || target === undefined ? "" : target;
  td.textContent = target === undefined ? "" : ccm.format(key, target);
  return td;
}

async function periodOf(q, fy) {
  return ccm.api(`/v1/kpis?${q}&period=fy-${fy}`);
}

async function show() {
  const params = new URLSearchParams(location.search);
  const scope = params.get("scope") || "tenant";
  const chosen = params.getAll("kpi");
  const scopes = ccm.fillScopes(document.getElementById("scope"), scope);
  const channel = ccm.pageChannel();
  ccm.fillChannels(document.getElementById("channel"), channel);
  const q = "scope=" + encodeURIComponent(scope) + (channel ? "&channel=" + channel : "");
  let fy = Number(params.get("fy"));
  const given = Number.isInteger(fy) && fy >= 2000 && fy <= 2100;
  if (!given) {
    // This financial year: the one holding today (its start month is the tenant's).
    const today = new Date();
    fy = today.getMonth() >= 3 ? today.getFullYear() : today.getFullYear() - 1;
  }
  // The year and its months in parallel, guessing an April start; asked again in
  // the rare case the guess was wrong (another start month, or today outside).
  const monthsOf = (first, last) => ccm.api(`/v1/kpis/series?${q}&from=${first}&to=${last}`);
  let [year, series] = await Promise.all([
    periodOf(q, fy), monthsOf(`${fy}-04`, `${fy + 1}-03`), scopes]);
  if (!given && Date.parse(year.period.from) > Date.now()) year = await periodOf(q, --fy);
  else if (!given && Date.parse(year.period.to) <= Date.now()) year = await periodOf(q, ++fy);
  const tz = year.period.tz;
  const first = ccm.localMonth(Date.parse(year.period.from), tz);
  const last = ccm.localMonth(Date.parse(year.period.to) - 1, tz);
  if (series.series[0].period.key !== first) series = await monthsOf(first, last);
  document.getElementById("fy").value = fy;
  // Months that have not begun have targets but no figures yet (not zero contacts).
  const months = series.series.map((m) => Date.parse(m.period.from) <= Date.now() ? m : {
    period: m.period,
    kpis: Object.fromEntries(Object.entries(m.kpis).map(([k, figure]) =>
      [k, { ...figure, value: null, status: "none" }])),
  });
  const keys = (chosen.length ? chosen : DEFAULT_KPIS).filter((k) => k in year.kpis);
  const yearName = `${fy}-${String((fy + 1) % 100).padStart(2, "0")}`;
  const title = `Financial year ${yearName} · ${ccm.scopeLabel(scope)}${channel ? " · " + ccm.channelLabel(channel) : ""}`;
  document.title = `${title} · ccmetrics`;
  document.getElementById("heading").textContent = title;
  const soFar = Date.parse(year.period.to) > Date.now();
  document.getElementById("table-caption").textContent =
    `Target and actual by month, ${ccm.monthName(first)} to ${ccm.monthName(last)}` +
    (soFar ? ", and the year to date" : ", and the year");

  const head = document.querySelector("#scrutiny thead");
  const header = document.createElement("tr");
  const labels = ["KPI", ""].concat(months.map((m) => ccm.monthName(m.period.key, "short")),
                                    [soFar ? "Year to date" : "Year"]);
  for (const text of labels) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = text;
    header.appendChild(th);
  }
  head.replaceChildren(header);
  const body = document.querySelector("#scrutiny tbody");
  body.replaceChildren();
  for (const key of keys) {
    const targets = body.insertRow();
    targets.dataset.kpi = key;
    targets.dataset.row = "target";
    const name = document.createElement("th");
    name.scope = "rowgroup";
    name.rowSpan = 2;
    name.textContent = ccm.kpiLabel(key);
    targets.appendChild(name);
    rowHeading(targets, "Target");
    const actuals = body.insertRow();
    actuals.dataset.kpi = key;
    actuals.dataset.row = "actual";
    rowHeading(actuals, "Actual");
    for (const month of months) {
      targetCell(targets, key, month.kpis[key]).dataset.month = month.period.key;
      ccm.actualCell(actuals, key, month.kpis[key]).dataset.month = month.period.key;
    }
    targetCell(targets, key, year.kpis[key]).dataset.month = "year";
    ccm.actualCell(actuals, key, year.kpis[key]).dataset.month = "year";
  }

  const times = months.map((m) => Date.parse(m.period.from) / 1000);
  const monthFormat = (t) => new Date(t * 1000).toLocaleDateString("en-GB",
    { month: "short", year: "2-digit", timeZone: tz });
  const charts = document.getElementById("charts");
  charts.replaceChildren();
  for (const key of keys) {
    const pick = (field) => months.map((m) => (m.kpis[key] ? m.kpis[key][field] ?? null : null));
    const lines = [{ label: "Actual", values: pick("value"), colour: ccm.css("--series-1") }];
    if (months.some((m) => m.kpis[key] && "target" in m.kpis[key]))
      lines.push({ label: "Target", values: pick("target"), colour: ccm.css("--target"), target: true });
    ccm.chart(charts, { title: ccm.kpiLabel(key), key, times, dateFormat: monthFormat, series: lines });
  }
  document.getElementById("content").setAttribute("aria-busy", "false");
  document.body.dataset.readyMs = Math.round(performance.now());
  document.body.dataset.ready = "true";
}

ccm.withToken(() => show().catch(ccm.showError));
