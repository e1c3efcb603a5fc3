// month.js: one month for one scope: every KPI of GET /v1/kpis against its target
// with status and the officers' commentary (GET /v1/commentary), the top reasons for
// contact (GET /v1/reasons), and day-by-day charts (volume, service level, abandoned %, speed of
// answer) from GET /v1/kpis/series?interval=day, each with its target as a line.
// URL: month.html?scope=queue:NAME&month=YYYY-MM (defaults: whole centre, this month).
"use strict";

const DAILY = [
  ["service_level_pct", "Service level by day"],
  ["abandoned_pct", "% abandoned by day"],
  ["asa_s", "Average speed of answer by day"],
];

function nextMonth(month) {
  const [year, number] = month.split("-").map(Number);
  return number === 12 ? `${year + 1}-01` : `${year}-${String(number + 1).padStart(2, "0")}`;
}

function kpiRow(key, figure, note) {
  const row = document.createElement("tr");
  const status = figure.status || "none";
  row.dataset.kpi = key;
  row.dataset.value = figure.value === null || figure.value === undefined ? "" : figure.value;
  row.dataset.status = status;
  row.className = "status-" + status;
  const name = document.createElement("th");
  name.scope = "row";
  name.textContent = ccm.kpiLabel(key);
  row.appendChild(name);
  const actual = row.insertCell();
  actual.className = "value";
  actual.textContent = ccm.format(key, figure.value) + (figure.provisional ? " (provisional)" : "");
  const target = row.insertCell();
  target.className = "target";
  target.textContent = "target" in figure ? ccm.format(key, figure.target) : "";
  const word = row.insertCell();
  word.className = "status";
  word.textContent = "target" in figure ? ccm.statusText[status] || status : "";
  const comment = row.insertCell();
  comment.className = "note";
  comment.textContent = note || "";
  return row;
}

async function show() {
  const params = new URLSearchParams(location.search);
  const scope = params.get("scope") || "tenant";
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const monthInput = document.getElementById("month");
  const scopes = ccm.fillScopes(document.getElementById("scope"), scope);
  let month = params.get("month");
  if (!/^\d{4}-\d{2}$/.test(month || "")) month = ccm.localMonth(Date.now(), tz);
  monthInput.value = month;
  const channel = ccm.pageChannel();
  ccm.fillChannels(document.getElementById("channel"), channel);
  const q = "scope=" + encodeURIComponent(scope) + (channel ? "&channel=" + channel : "");
  const [answer, series, commentary, reasons] = await Promise.all([
    ccm.api(`/v1/kpis?${q}&period=${month}`),
    ccm.api(`/v1/kpis/series?${q}&interval=day&from=${month}-01&to=${nextMonth(month)}-01`),
    ccm.api(`/v1/commentary?${q}`),
    ccm.api(`/v1/reasons?${q}&period=${month}&top=10`),
    scopes,
  ]);
  const notes = Object.fromEntries(commentary.commentary.filter((c) => c.month === month)
    .map((c) => [c.kpi, c.text]));
  const title = `${ccm.monthName(month)} · ${ccm.scopeLabel(scope)}${channel ? " · " + ccm.channelLabel(channel) : ""}`;
  document.title = `${title} · ccmetrics`;
  document.getElementById("heading").textContent = title;
  document.getElementById("kpis-caption").textContent =
    `Every KPI for ${ccm.monthName(month)} against the target in force on its first day`;
  const body = document.querySelector("#kpis tbody");
  body.replaceChildren(...ccm.orderedKeys(answer.kpis).map((key) =>
    kpiRow(key, answer.kpis[key], notes[key])));

  const reasonRows = reasons.reasons.map((r) => [r.reason, r.count, r.share_pct]);
  if (reasons.other.count) reasonRows.push(["Other reasons", reasons.other.count, reasons.other.share_pct]);
  if (reasons.no_reason.count) reasonRows.push(["No reason recorded", reasons.no_reason.count, reasons.no_reason.share_pct]);
  document.querySelector("#reasons tbody").replaceChildren(...reasonRows.map(([name, count, share]) => {
    const row = document.createElement("tr");
    row.dataset.reason = name;
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = name;
    row.appendChild(th);
    row.insertCell().textContent = ccm.format("count", count);
    row.insertCell().textContent = ccm.format("share_pct", share);
    return row;
  }));

  const days = series.series;
  const times = days.map((d) => Date.parse(d.period.from) / 1000);
  const pick = (key, field) => days.map((d) => (d.kpis[key] ? d.kpis[key][field] ?? null : null));
  const dayFormat = (t) => new Date(t * 1000).toLocaleDateString("en-GB",
    { day: "numeric", month: "short", timeZone: answer.period.tz });
  const charts = document.getElementById("charts");
  charts.replaceChildren();
  ccm.chart(charts, { title: "Contacts by day", key: "offered", times, dateFormat: dayFormat, series: [
    { label: "Offered", values: pick("offered", "value"), colour: ccm.css("--series-1") },
    { label: "Answered", values: pick("answered", "value"), colour: ccm.css("--series-2") },
    { label: "Abandoned", values: pick("abandoned", "value"), colour: ccm.css("--series-3") },
  ] });
  for (const [key, label] of DAILY)
    ccm.chart(charts, { title: label, key, times, dateFormat: dayFormat, series: [
      { label: ccm.kpiLabel(key), values: pick(key, "value"), colour: ccm.css("--series-1") },
      { label: "Target", values: pick(key, "target"), colour: ccm.css("--target"), target: true },
    ] });
  document.getElementById("content").setAttribute("aria-busy", "false");
  document.body.dataset.readyMs = Math.round(performance.now());
  document.body.dataset.ready = "true";
}

ccm.withToken(() => show().catch(ccm.showError));
