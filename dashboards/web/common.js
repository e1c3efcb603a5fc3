// common.js: what every ccmetrics page shares: the read token (entered once, kept in
// this browser's localStorage), the theme (?theme=dark|light, else the system's), the
// KPI names and how a figure is shown (the API's full precision, rounded only for
// display), API calls, the scope picker, and charts (uPlot, installed from npm by the
// build into vendor/).
"use strict";

const ccm = {
  tokenKey: "ccmetrics.token",
  token() { return localStorage.getItem(ccm.tokenKey); },
  forgetToken() { localStorage.removeItem(ccm.tokenKey); },

  // The token form, made once, after the page's header.
  tokenForm() {
    let form = document.getElementById("token-form");
    if (form) return form;
    form = document.createElement("form");
    form.id = "token-form";
    form.className = "token";
    form.innerHTML = '<label for="token-input">Read token</label>' +
      '<input id="token-input" type="password" autocomplete="off" required>' +
      '<button type="submit">Save</button><p id="token-message" role="alert"></p>';
    document.querySelector("header").after(form);
    return form;
  },

  // Shows the token form until a token is saved; then calls start().
  withToken(start, message) {
    if (ccm.token()) {
      const asked = document.getElementById("token-form");
      if (asked) asked.hidden = true;
      start();
      return;
    }
    const form = ccm.tokenForm();
    document.getElementById("token-message").textContent = message || "";
    form.hidden = false;
    form.onsubmit = (event) => {
      event.preventDefault();
      localStorage.setItem(ccm.tokenKey, document.getElementById("token-input").value.trim());
      form.hidden = true;
      start();
    };
    document.getElementById("token-input").focus();
  },

  // GET an API path with the token. A refused token is forgotten and asked for again
  // (the page reloads once one is saved); any other failure throws with the API's words.
  async api(path) {
    const response = await fetch(path, { headers: { Authorization: "Bearer " + ccm.token() },
                                         cache: "no-store" });
    if (response.status === 401) {
      ccm.forgetToken();
      ccm.withToken(() => location.reload(), "That token was not accepted.");
      throw Object.assign(new Error("the token was not accepted"), { tokenRefused: true });
    }
    const body = await response.json().catch(() => null);
    if (!response.ok)
      throw new Error((body && body.error && body.error.message) || "HTTP " + response.status);
    return body;
  },

  applyTheme() {
    const theme = new URLSearchParams(location.search).get("theme");
    if (theme === "dark" || theme === "light") document.documentElement.dataset.theme = theme;
  },

  // The KPIs of the definitions in the order a council's table lists them.
  kpis: [
    ["offered", "Contacts offered"],
    ["answered", "Answered"],
    ["abandoned", "Abandoned"],
    ["short_abandoned", "Short abandons"],
    ["timed_out", "Timed out"],
    ["refused", "Refused (queue full or closed)"],
    ["handled_denominator", "Handled (base of the rates)"],
    ["answered_pct", "% answered"],
    ["abandoned_pct", "% abandoned"],
    ["service_level_pct", "Service level"],
    ["asa_s", "Average speed of answer"],
    ["aht_s", "Average handling time"],
    ["fcr_pct", "% resolved at first point of contact"],
    ["repeat_fcr_pct", "% not contacting again within the repeat window"],
    ["longest_wait_s", "Longest wait"],
    ["survey_responses", "Survey responses"],
    ["satisfied_pct", "% satisfied (rated good)"],
    ["satisfaction_net_pct", "Net satisfaction (good + average - poor)"],
    ["baseline_offered", "Contacts in the same period of the baseline year"],
    ["volume_change_pct", "% change in contacts on the baseline year"],
  ],

  // The contact channels of the KPI definitions, and how a page names them.
  channels: [
    ["phone", "Phone"], ["face_to_face", "Face to face"], ["webchat", "Webchat"],
    ["email", "Email"], ["social", "Social media"], ["webform", "Web forms"],
  ],
  channelLabel(channel) {
    const known = ccm.channels.find(([c]) => c === channel);
    return known ? known[1] : "Every channel";
  },
  // The channel of the page's URL (?channel=), or "" for every channel.
  pageChannel() {
    const channel = new URLSearchParams(location.search).get("channel") || "";
    return ccm.channels.some(([c]) => c === channel) ? channel : "";
  },
  // Fills a <select> with "every channel" and each channel.
  fillChannels(select, current) {
    select.replaceChildren(...[["", "Every channel"], ...ccm.channels].map(([value, label]) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = label;
      option.selected = value === current;
      return option;
    }));
  },
  kpiLabel(key) {
    const known = ccm.kpis.find(([k]) => k === key);
    return known ? known[1] : key;
  },
  // The API's keys in the order above; keys this page does not know yet come last.
  orderedKeys(kpis) {
    const known = ccm.kpis.map(([k]) => k).filter((k) => k in kpis);
    return known.concat(Object.keys(kpis).filter((k) => !known.includes(k)));
  },

  // Half away from zero, as lib/kpi.c kpi_round_half_away (the KPI definitions): a
  // decimal tie stored just under it in binary (247/2000 = 12.35% is 12.3499...) still
  // rounds up, as it does in the exports.
  roundHalfAway(value, decimals) {
    const scale = 10 ** decimals, scaled = value * scale;
    const nudged = scaled + Math.sign(scaled) * 1e-9 * Math.max(1, Math.abs(scaled));
    return (Math.sign(nudged) * Math.round(Math.abs(nudged))) / scale;
  },

  // Percentages to one decimal place, seconds to whole seconds, counts as integers.
  format(key, value) {
    if (value === null || value === undefined) return "–";
    if (key.endsWith("_pct")) return ccm.roundHalfAway(value, 1).toFixed(1) + "%";
    if (key.endsWith("_s")) return ccm.roundHalfAway(value, 0).toFixed(0) + " s";
    return Number(value).toLocaleString("en-GB");
  },

  // Status as colour AND word AND symbol, never colour alone.
  statusText: { green: "✓ On target", amber: "▲ Near target", red: "✗ Off target", none: "No target" },
  statusSymbol: { green: "✓", amber: "▲", red: "✗", none: "" },

  // A table cell of a figure as shown, with its status as colour, symbol and words.
  actualCell(row, key, figure) {
    const td = row.insertCell();
    const status = (figure && figure.status) || "none";
    const value = figure ? figure.value : null;
    td.className = "value status-" + status;
    td.dataset.value = value === null || value === undefined ? "" : value;
    td.dataset.status = status;
    td.textContent = ccm.format(key, value);
    ccm.appendStatus(td, status);
    if (figure && figure.provisional) td.dataset.provisional = "true";
    return td;
  },

  // Status beside a figure as a symbol (with its words as a tooltip) and the words for
  // screen readers; colour comes from the cell's class.
  appendStatus(cell, status) {
    if (!ccm.statusSymbol[status]) return;
    const mark = document.createElement("span");
    mark.className = "mark";
    mark.textContent = " " + ccm.statusSymbol[status];
    mark.title = ccm.statusText[status];
    const words = document.createElement("span");
    words.className = "visually-hidden";
    words.textContent = " " + ccm.statusText[status].slice(2);
    cell.append(mark, words);
  },

  scopeLabel(scope) {
    if (scope === "tenant") return "Whole centre";
    const [kind, name] = [scope.slice(0, scope.indexOf(":")), scope.slice(scope.indexOf(":") + 1)];
    return name + (kind === "service" ? " (service)" : " (queue)");
  },

  // Fills a <select> with the whole centre, each service and each queue (GET /v1/queues).
  async fillScopes(select, current) {
    const known = await ccm.api("/v1/queues");
    const add = (parent, value) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = ccm.scopeLabel(value);
      option.selected = value === current;
      parent.appendChild(option);
    };
    select.replaceChildren();
    add(select, "tenant");
    for (const [label, values] of [["Services", known.services.map((s) => "service:" + s)],
                                   ["Queues", known.queues.map((q) => "queue:" + q.name)]]) {
      if (!values.length) continue;
      const group = document.createElement("optgroup");
      group.label = label;
      values.forEach((value) => add(group, value));
      select.appendChild(group);
    }
    if (select.value !== current) add(select, current); // a scope with no data yet
    select.value = current;
  },

  // The local calendar month ("YYYY-MM") of an instant in the tenant's time zone.
  localMonth(instant, tz) {
    const parts = new Intl.DateTimeFormat("en-GB", { timeZone: tz, year: "numeric", month: "2-digit" })
      .formatToParts(new Date(instant));
    return parts.find((p) => p.type === "year").value + "-" + parts.find((p) => p.type === "month").value;
  },
  monthName(month, style) {
    const [year, number] = month.split("-").map(Number);
    return new Date(Date.UTC(year, number - 1, 15)).toLocaleString("en-GB",
      { month: style || "long", year: "numeric", timeZone: "UTC" });
  },

  css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); },

  // A line chart: x are unix seconds, each series {label, values, colour, target}.
  // Targets are drawn dashed and stepped (a target changes on a day or month).
  // The canvas is described for screen readers, and a table of the same figures
  // follows it (charts alone are not accessible).
  chart(container, { title, key, times, series, dateFormat }) {
    const figure = document.createElement("figure");
    figure.className = "chart";
    figure.dataset.chart = key;
    const caption = document.createElement("figcaption");
    caption.textContent = title;
    figure.appendChild(caption);
    const plot = document.createElement("div");
    plot.setAttribute("role", "img");
    plot.setAttribute("aria-label", title + ", " + series.map((s) => s.label).join(", ") +
                      "; the figures are in the table below");
    figure.appendChild(plot);
    container.appendChild(figure);

    const fg = ccm.css("--fg"), grid = ccm.css("--grid");
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    const stepped = uPlot.paths.stepped({ align: 1 });
    const width = () => Math.max(280, plot.clientWidth || container.clientWidth || 600);
    const chart = new uPlot({
      width: width(), height: 220,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      // Percentages stay within 0-100 however few the points; others start at 0.
      scales: { x: { time: true }, y: { range: (u, min, max) => key.endsWith("_pct")
        ? [0, 100] : [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { ...axis, values: (u, ticks) => ticks.map((t) => dateFormat(t)) },
        { ...axis, size: 70, values: (u, ticks) => ticks.map((t) => ccm.format(key, t)),
          // counts step in whole contacts (no "2.5 calls")
          ...(key.endsWith("_pct") || key.endsWith("_s") ? {} :
            { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000] }) },
      ],
      series: [{ value: (u, t) => (t === null ? "–" : dateFormat(t)) }].concat(series.map((s) => ({
        label: s.label, stroke: s.colour, width: s.target ? 2 : 3,
        dash: s.target ? [8, 6] : undefined, paths: s.target ? stepped : undefined,
        points: { show: !s.target }, spanGaps: false,
        value: (u, v) => ccm.format(key, v),
      }))),
    }, [times].concat(series.map((s) => s.values)), plot);
    new ResizeObserver(() => chart.setSize({ width: width(), height: 220 })).observe(figure);

    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = "Figures of this chart";
    details.appendChild(summary);
    const table = document.createElement("table");
    table.className = "figures";
    const head = table.createTHead().insertRow();
    for (const text of ["Period"].concat(series.map((s) => s.label))) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = text;
      head.appendChild(th);
    }
    const body = table.createTBody();
    times.forEach((t, i) => {
      const row = body.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = dateFormat(t);
      row.appendChild(th);
      for (const s of series) row.insertCell().textContent = ccm.format(key, s.values[i]);
    });
    details.appendChild(table);
    figure.appendChild(details);
    return chart;
  },

  showError(error) {
    if (error.tokenRefused) return; // the token form says so
    const box = document.getElementById("problem");
    box.textContent = "Could not load the figures: " + error.message;
    box.hidden = false;
  },
};
ccm.applyTheme();
