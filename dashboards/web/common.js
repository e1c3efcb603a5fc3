// common.js: what every ccmetrics page shares: the read token (entered once, kept in
// this browser's localStorage), the theme (?theme=dark|light, else the system's), and
// how a KPI figure is shown (the API's full precision, rounded only for display).
"use strict";

const ccm = {
  tokenKey: "ccmetrics.token",
  token() { return localStorage.getItem(ccm.tokenKey); },
  forgetToken() { localStorage.removeItem(ccm.tokenKey); },

  // Shows the token form until a token is saved; then calls start().
  withToken(start, message) {
    const form = document.getElementById("token-form");
    if (ccm.token()) { form.hidden = true; start(); return; }
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

  applyTheme() {
    const theme = new URLSearchParams(location.search).get("theme");
    if (theme === "dark" || theme === "light") document.documentElement.dataset.theme = theme;
  },

  // Percentages to one decimal place, seconds to whole seconds (KPI definitions).
  format(key, value) {
    if (value === null || value === undefined) return "–";
    if (key.endsWith("_pct")) return value.toFixed(1) + "%";
    if (key.endsWith("_s")) return Math.round(value) + " s";
    return String(value);
  },

  // Status as colour AND word AND symbol, never colour alone.
  statusText: { green: "✓ On target", amber: "▲ Near target", red: "✗ Off target", none: "No target" },
};
ccm.applyTheme();
