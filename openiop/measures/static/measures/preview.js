// Live score preview on the staff entry form: posts the answers to
// POST /api/v1/instruments/{code}/score (which saves nothing) and shows the
// total, band and any safety alert. No inline script: the CSP forbids it.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var form = document.querySelector("form[data-score-url]");
    var out = document.getElementById("preview");
    if (!form || !out) { return; }
    var ids = (form.getAttribute("data-items") || "").split(",").filter(Boolean);
    var sex = form.getAttribute("data-sex");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    var pending = 0;

    function answers() {
      var a = {};
      ids.forEach(function (id) {
        var checked = form.querySelector('input[name="item_' + id + '"]:checked');
        a[id] = checked ? checked.value : null;
      });
      return a;
    }

    function show(lines, alert) {
      out.textContent = "";
      lines.forEach(function (text, i) {
        var el = document.createElement(i === 0 ? "strong" : "div");
        el.textContent = text;
        out.appendChild(el);
      });
      out.classList.toggle("crisis", !!alert);
    }

    function update() {
      var body = { answers: answers() };
      if (sex === "female" || sex === "male") { body.sex = sex; }
      var mine = ++pending;
      fetch(form.getAttribute("data-score-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
        body: JSON.stringify(body)
      }).then(function (r) {
        return r.json().then(function (data) { return { ok: r.ok, data: data }; });
      }).then(function (res) {
        if (mine !== pending) { return; }
        if (!res.ok) {
          var msg = res.data && res.data.error ? res.data.error.message : "The score cannot be shown.";
          show(["Not scored yet", msg], false);
          return;
        }
        var s = res.data, lines = [];
        if (s.total !== null) {
          lines.push("Total " + s.total + " of " + s.max + (s.band_label ? ": " + s.band_label : ""));
        } else if (s.subscales && Object.keys(s.subscales).length) {
          lines.push(Object.keys(s.subscales).map(function (k) {
            var sub = s.subscales[k];
            return sub.label + " " + (sub.score === null ? "-" : sub.score) + (sub.flag ? " (" + sub.flag + ")" : "");
          }).join("; "));
        } else {
          lines.push("Not scored");
        }
        if (s.alerts.length) { lines.push("Safety alert on saving: " + s.alerts.join(", ").replace(/_/g, " ")); }
        if (s.severe_band) { lines.push("Severe band: an alert is raised if this is a rise."); }
        if (s.note) { lines.push(s.note); }
        s.warnings.forEach(function (w) { lines.push(w); });
        show(lines, s.alerts.length > 0);
      }).catch(function () {
        if (mine === pending) { show(["Preview unavailable", "The score is computed when you save."], false); }
      });
    }
    form.addEventListener("change", function (e) {
      if (e.target && e.target.name && e.target.name.indexOf("item_") === 0) { update(); }
    });
    if (form.querySelector('input[name^="item_"]:checked')) { update(); }
  });
})();
