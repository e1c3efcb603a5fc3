// wallboard.js: one tile per scope of the URL (&channel=C: that channel's figures in
// every tile), fed by /v1/live/stream. EventSource
// cannot send an Authorization header, so the stream is read with fetch(); it is
// opened again after any end or error (a daemon restart), 2 s later.
"use strict";

const KPIS = [
  ["answered_pct", "Answered"],
  ["service_level_pct", "Service level"],
  ["asa_s", "Average speed of answer"],
  ["abandoned_pct", "Abandoned"],
];

function scopes() {
  const wanted = new URLSearchParams(location.search).getAll("scope");
  return wanted.length ? wanted : ["tenant"];
}

function minutesSeconds(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const m = Math.floor(seconds / 60), s = seconds % 60;
  return m + ":" + String(s).padStart(2, "0");
}

function makeTile(scope) {
  const tile = document.createElement("section");
  tile.className = "tile";
  tile.dataset.scope = scope;
  tile.setAttribute("aria-label", scope);
  tile.innerHTML =
    '<h2></h2><p class="state" data-state>connecting…</p>' +
    '<div class="now"><div><span class="label">Waiting now</span>' +
    '<span class="big" data-field="waiting">–</span></div>' +
    '<div><span class="label">Oldest wait</span>' +
    '<span class="big" data-field="oldest_wait_s">–</span></div></div>' +
    '<dl class="kpis"></dl>';
  const channel = ccm.pageChannel();
  tile.querySelector("h2").textContent = (scope === "tenant" ? "Whole centre" : scope.replace(":", ": ")) +
    (channel ? " · " + ccm.channelLabel(channel) : "");
  const list = tile.querySelector("dl");
  for (const [key, label] of KPIS) {
    const row = document.createElement("div");
    row.className = "kpi status-none";
    row.dataset.kpi = key;
    row.innerHTML = '<dt></dt><dd><span class="value">–</span>' +
      '<span class="target"></span><span class="status"></span></dd>';
    row.querySelector("dt").textContent = label;
    list.appendChild(row);
  }
  return tile;
}

function render(tile, snapshot) {
  tile.querySelector("[data-state]").textContent = "live";
  if (!document.body.dataset.readyMs &&
      [...document.querySelectorAll(".tile [data-state]")].every((e) => e.textContent === "live"))
    document.body.dataset.readyMs = Math.round(performance.now()); // first view, every tile live
  const waiting = tile.querySelector('[data-field="waiting"]');
  waiting.textContent = snapshot.waiting;
  waiting.dataset.value = snapshot.waiting;
  const oldest = tile.querySelector('[data-field="oldest_wait_s"]');
  oldest.textContent = minutesSeconds(snapshot.oldest_wait_s);
  oldest.dataset.value = snapshot.oldest_wait_s === null ? "" : snapshot.oldest_wait_s;
  for (const [key] of KPIS) {
    const figure = snapshot.today.kpis[key] || {};
    const row = tile.querySelector(`[data-kpi="${key}"]`);
    const status = figure.status || "none";
    row.className = "kpi status-" + status;
    row.dataset.value = figure.value === null || figure.value === undefined ? "" : figure.value;
    row.querySelector(".value").textContent = ccm.format(key, figure.value);
    row.querySelector(".target").textContent =
      figure.target === null || figure.target === undefined ? "" : "target " + ccm.format(key, figure.target);
    row.querySelector(".status").textContent = ccm.statusText[status] || status;
  }
}

async function follow(tile) {
  const scope = tile.dataset.scope;
  for (;;) {
    try {
      const channel = ccm.pageChannel();
      const response = await fetch("/v1/live/stream?scope=" + encodeURIComponent(scope) +
                                   (channel ? "&channel=" + channel : ""), {
        headers: { Authorization: "Bearer " + ccm.token(), Accept: "text/event-stream" },
        cache: "no-store",
      });
      if (response.status === 401) {
        ccm.forgetToken();
        ccm.withToken(() => location.reload(), "That token was not accepted.");
        return;
      }
      if (!response.ok) throw new Error("HTTP " + response.status);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
          if (event.startsWith("event: live") && data.length) render(tile, JSON.parse(data.join("\n")));
        }
      }
    } catch (error) {
      // the daemon restarted or the network dropped: show it, then open the stream again
    }
    tile.querySelector("[data-state]").textContent = "reconnecting…";
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

ccm.withToken(() => {
  const tiles = document.getElementById("tiles");
  for (const scope of scopes()) {
    const tile = makeTile(scope);
    tiles.appendChild(tile);
    follow(tile);
  }
});
