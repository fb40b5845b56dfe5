// Live total of the cost lines on the proposal form. Comfort only: the server computes the real total.
(function () {
  "use strict";
  var form = document.querySelector("[data-cost-lines]");
  var out = document.getElementById("cost-total");
  if (!form || !out) { return; }

  function parseEuros(text) {
    var raw = text.replace(/[€\s\u00a0]/g, "").replace(/,-$/, "");
    if (!raw) { return 0; }
    if (/^\d{1,3}(\.\d{3})+(,\d{1,2})?$/.test(raw)) { raw = raw.replace(/\./g, "").replace(",", "."); }
    else if (/^\d{1,3}(,\d{3})+\.\d{1,2}$/.test(raw)) { raw = raw.replace(/,/g, ""); }
    else if (/^\d+([.,]\d{1,2})?$/.test(raw)) { raw = raw.replace(",", "."); }
    else { return NaN; }
    return Math.round(parseFloat(raw) * 100);
  }

  function update() {
    var total = 0;
    var ok = true;
    form.querySelectorAll("input[name$='-amount']").forEach(function (input) {
      var cents = parseEuros(input.value);
      if (isNaN(cents)) { ok = false; } else { total += cents; }
    });
    var euros = (total / 100).toLocaleString("nl-NL", { style: "currency", currency: "EUR" });
    out.textContent = ok ? out.dataset.label + " " + euros : out.dataset.invalid;
  }

  out.hidden = false;
  form.addEventListener("input", update);
  update();
})();
