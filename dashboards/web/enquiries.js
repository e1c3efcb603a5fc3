// enquiries.js: members' enquiries for one financial year, as councils report them:
// per delivery unit and overall, per month of the due date, per quarter and for the
// year (GET /v1/exports/enquiries?format=json), the percentages with their targets and
// status (colour, word and symbol); then the enquiries open at an instant by age in
// calendar days (GET /v1/enquiries/ageing).
// URL: enquiries.html?fy=YYYY[&at=YYYY-MM-DD] (ageing at the end of that local day;
// default now).
"use strict";

// The rows shown per unit: [key, label, row kind].
const ROWS = [
  ["items_due", "Items due", "actual"],
  ["closed_in_time_pct", "% closed in time", "target"],
  ["closed_in_time_pct", "% closed in time", "actual"],
  ["delay_advised_pct", "% delay advised in time", "actual"],
  ["responded_in_time_pct", "% responded in time", "target"],
  ["responded_in_time_pct", "% responded in time", "actual"],
];
const AGES = [["lt10", "Under 10 days"], ["d10_19", "10-19"], ["d20_29", "20-29"], ["d30_39", "30-39"],
              ["d40_plus", "40 or more"], ["over_10", "Total over 10 days"], ["total", "Total open"]];

function unitLabel(scope) {
  return scope === "tenant" ? "All units" : scope.slice("unit:".length);
}

function headerRow(head, labels) {
  const row = document.createElement("tr");
  for (const text of labels) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = text;
    row.appendChild(th);
  }
  head.replaceChildren(row);
}

// One figure cell: the value as shown, with status as colour, symbol and words.
function figureCell(row, key, figure, kind, column) {
  if (kind !== "target") {
    ccm.actualCell(row, key, figure).dataset.column = column;
    return;
  }
  const td = row.insertCell();
  td.dataset.column = column;
  const target = figure && "target" in figure ? figure.target : null;
  td.className = "target";
  td.dataset.value = target === null ? "" : target;
  td.textContent = target === null ? "" : ccm.format(key, target);
}

function columnLabel(key) {
  if (key === "year") return "Year";
  return /^Q\d$/.test(key) ? key : ccm.monthName(key, "short");
}

function showTable(table) {
  const yearName = `${table.fy}-${String((table.fy + 1) % 100).padStart(2, "0")}`;
  document.getElementById("heading").textContent = `Members' enquiries, financial year ${yearName}`;
  document.title = `Members' enquiries ${yearName} · ccmetrics`;
  document.getElementById("rule").textContent =
    `Due ${table.due_working_days} working day${table.due_working_days === 1 ? "" : "s"} ` +
    `after the day an enquiry was opened ` +
    `(weekends and the council's holidays skipped); counted in the month it fell due.`;
  document.getElementById("table-caption").textContent =
    "Target and actual by delivery unit, per month of the due date, quarter and year";
  headerRow(document.querySelector("#scrutiny thead"),
            ["Delivery unit", "Measure", ""].concat(table.columns.map((c) => columnLabel(c.key))));
  const body = document.querySelector("#scrutiny tbody");
  body.replaceChildren();
  for (const unit of table.rows) {
    ROWS.forEach(([key, label, kind], i) => {
      const row = body.insertRow();
      row.dataset.scope = unit.scope;
      row.dataset.kpi = key;
      row.dataset.row = kind;
      if (i === 0) {
        const th = document.createElement("th");
        th.scope = "rowgroup";
        th.rowSpan = ROWS.length;
        th.textContent = unitLabel(unit.scope);
        row.appendChild(th);
      }
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = label;
      row.appendChild(name);
      const kindCell = document.createElement("th");
      kindCell.scope = "row";
      kindCell.textContent = kind === "target" ? "Target" : "Actual";
      row.appendChild(kindCell);
      unit.columns.forEach((figures, c) => figureCell(row, key, figures[key], kind, table.columns[c].key));
    });
  }
}

function showAgeing(ageing, atLabel) {
  document.getElementById("ageing-caption").textContent =
    `Enquiries open ${atLabel}, by delivery unit and whole calendar days since opened`;
  headerRow(document.querySelector("#ageing thead"), ["Delivery unit"].concat(AGES.map(([, l]) => l)));
  const body = document.querySelector("#ageing tbody");
  body.replaceChildren();
  const add = (name, buckets, scope) => {
    const row = body.insertRow();
    row.dataset.scope = scope;
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = name;
    row.appendChild(th);
    for (const [key] of AGES) {
      const td = row.insertCell();
      td.dataset.bucket = key;
      td.dataset.value = buckets[key];
      td.textContent = ccm.format(key, buckets[key]);
    }
  };
  for (const unit of Object.keys(ageing.units).sort())
    add(unit, ageing.units[unit], "unit:" + unit);
  add("All units", ageing.total, "tenant");
}

// The end of a local date in the tenant's zone, as an instant: the page asks for the
// enquiries open at that date's last second (the API takes RFC 3339 with an offset).
function endOfLocalDay(date, tz) {
  const [y, m, d] = date.split("-").map(Number);
  let guess = Date.UTC(y, m - 1, d, 23, 59, 59);
  for (let i = 0; i < 2; i++) {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
      timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(new Date(guess)).map((p) => [p.type, p.value]));
    const shown = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
    guess -= shown - Date.UTC(y, m - 1, d, 23, 59, 59);
  }
  return new Date(guess).toISOString().replace(".000Z", "Z");
}

async function show() {
  const params = new URLSearchParams(location.search);
  let fy = Number(params.get("fy"));
  if (!(Number.isInteger(fy) && fy >= 2000 && fy <= 2100)) {
    const today = new Date();
    fy = today.getMonth() >= 3 ? today.getFullYear() : today.getFullYear() - 1;
  }
  document.getElementById("fy").value = fy;
  const table = await ccm.api(`/v1/exports/enquiries?fy=${fy}&format=json`);
  const at = params.get("at");
  let ageingPath = "/v1/enquiries/ageing", atLabel = "now";
  if (at && /^\d{4}-\d{2}-\d{2}$/.test(at)) {
    document.getElementById("at").value = at;
    ageingPath += "?at=" + encodeURIComponent(endOfLocalDay(at, table.tz));
    atLabel = "at the end of " + new Date(at + "T12:00:00Z").toLocaleDateString("en-GB",
      { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  }
  const ageing = await ccm.api(ageingPath);
  showTable(table);
  showAgeing(ageing, atLabel);
  document.body.dataset.ageingAt = ageing.at;
  document.getElementById("content").setAttribute("aria-busy", "false");
  document.body.dataset.readyMs = Math.round(performance.now());
  document.body.dataset.ready = "true";
}

ccm.withToken(() => show().catch(ccm.showError));
