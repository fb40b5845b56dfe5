// Live budget / points meter on the ballot (progressive enhancement: the server checks everything).
(function () {
  "use strict";
  var box = document.querySelector(".meter-box");
  if (!box) { return; }
  var text = box.querySelector(".meter-text");
  var shortText = box.querySelector(".meter-short");
  var fill = box.querySelector(".meter-fill");
  var form = box.closest("form");
  var lang = document.documentElement.lang === "en" ? "en-GB" : "nl-NL";
  var money = new Intl.NumberFormat(lang, { style: "currency", currency: "EUR" });
  var wholeMoney = new Intl.NumberFormat(lang, { style: "currency", currency: "EUR", maximumFractionDigits: 0 });

  function short(cents) {  // whole euros when there are no cents, as on the server
    return cents % 100 === 0 ? wholeMoney.format(cents / 100) : money.format(cents / 100);
  }
  var timer = null;

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, key) { return values[key]; });
  }

  function budgetMessage() {
    var budget = parseInt(box.dataset.budget, 10) || 0;
    var chosen = 0;
    form.querySelectorAll("input[type=checkbox][data-cost]:checked").forEach(function (el) {
      chosen += parseInt(el.dataset.cost, 10) || 0;
    });
    if (fill) {
      fill.classList.toggle("meter-over", chosen > budget);
      fill.setAttribute("data-pct", String(Math.min(100, Math.round(budget ? chosen * 100 / budget : 0))));
      fill.style.width = Math.min(100, budget ? chosen * 100 / budget : 0) + "%";
    }
    var values = { chosen: money.format(chosen / 100), budget: money.format(budget / 100),
                   left: money.format((budget - chosen) / 100), over: money.format((chosen - budget) / 100) };
    var shortValues = { chosen: short(chosen), left: short(budget - chosen), over: short(chosen - budget) };
    return [fmt(chosen > budget ? box.dataset.over : box.dataset.template, values),
            fmt(chosen > budget ? box.dataset.shortOver : box.dataset.short, shortValues)];
  }

  function pointsMessage() {
    var total = parseInt(box.dataset.total, 10) || 0;
    var used = 0;
    form.querySelectorAll("input.points-input").forEach(function (el) {
      var v = parseInt(el.value, 10);
      if (!isNaN(v) && v > 0) { used += v; }
    });
    var values = { used: used, total: total, left: total - used, over: used - total };
    return [fmt(used > total ? box.dataset.over : box.dataset.template, values),
            fmt(used > total ? box.dataset.shortOver : box.dataset.short, values)];
  }

  function update() {
    var messages = box.dataset.kind === "budget" ? budgetMessage() : pointsMessage();
    if (shortText) { shortText.textContent = messages[1]; }
    // Short delay so a screen reader announces the final state once, not every keystroke.
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { text.textContent = messages[0]; }, 150);
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
}());
