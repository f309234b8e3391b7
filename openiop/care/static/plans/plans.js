// Treatment plans: the signature pad (pointer events -> SVG path data in a
// hidden field) and picking an ICD-10-CM code from the search results.
(function () {
  "use strict";

  function pad(canvas) {
    var field = document.getElementById(canvas.dataset.field);
    var clear = document.getElementById(canvas.dataset.clear);
    var ctx = canvas.getContext("2d");
    var path = [];
    var drawing = false;

    function size() {
      var r = canvas.getBoundingClientRect();
      canvas.width = Math.round(r.width);
      canvas.height = Math.round(r.height);
      ctx.lineWidth = 2.2;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#1b2430";
    }
    function point(e) {
      var r = canvas.getBoundingClientRect();
      var x = Math.max(0, Math.round((e.clientX - r.left) * 10) / 10);
      var y = Math.max(0, Math.round((e.clientY - r.top) * 10) / 10);
      return [x, y];
    }
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true;
      canvas.setPointerCapture(e.pointerId);
      var p = point(e);
      path.push("M" + p[0] + " " + p[1]);
      ctx.beginPath();
      ctx.moveTo(p[0], p[1]);
      e.preventDefault();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      var p = point(e);
      path.push("L" + p[0] + " " + p[1]);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
      field.value = path.join(" ");
    });
    function end() {
      drawing = false;
      field.value = path.join(" ");
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    if (clear) {
      clear.addEventListener("click", function () {
        path = [];
        field.value = "";
        ctx.clearRect(0, 0, canvas.width, canvas.height);
      });
    }
    size();
  }

  // The responsible-staff list offers only people whose licence allows the
  // chosen modality (options carry data-leads; modalities with no licence rule
  // are not listed there, and anyone may lead them).
  function leads(select) {
    var modality = document.getElementById(select.dataset.leadsFor);
    if (!modality) return;
    var ruled = {};
    (select.dataset.ruled || "").split(" ").forEach(function (m) { if (m) ruled[m] = true; });
    var note = document.createElement("p");
    note.className = "errorlist";
    note.setAttribute("role", "status");
    note.hidden = true;
    select.insertAdjacentElement("afterend", note);
    function apply() {
      var m = modality.value;
      var what = modality.options[modality.selectedIndex].text.toLowerCase();
      var offered = 0;
      var dropped = "";
      select.querySelectorAll("option").forEach(function (o) {
        if (!o.value) return;
        var may = !ruled[m] || (o.dataset.leads || "").split(" ").indexOf(m) >= 0;
        o.hidden = !may;
        o.disabled = !may;
        if (may) offered += 1;
        if (!may && o.selected) {
          dropped = o.text;
          select.value = "";
        }
      });
      var text = "";
      if (!offered) {
        text = "No one on this program's staff holds a current licence to lead " + what + ".";
      } else if (dropped) {
        text = dropped + " holds no licence that may lead " + what + ": choose who will.";
      }
      note.hidden = !text;
      note.textContent = text;
    }
    modality.addEventListener("change", apply);
    apply();
  }

  function init() {
    document.querySelectorAll("canvas[data-signature-pad]").forEach(pad);
    document.querySelectorAll("select[data-leads-for]").forEach(leads);
    document.addEventListener("click", function (e) {
      if (e.target.closest("[data-print]")) {
        e.preventDefault();
        window.print();
        return;
      }
      var button = e.target.closest("[data-icd-code]");
      if (!button) return;
      var input = document.getElementById(button.dataset.target);
      input.value = button.dataset.icdCode;
      var list = document.getElementById("icd-results");
      if (list) list.innerHTML = "";
      input.focus();
      e.preventDefault();
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
