// Maps with Leaflet (static/vendor/leaflet). Comfort only: without this script, Leaflet or the
// tiles, the proposals page is its list and the form has its own fields for the point.
// - [data-proposal-map]: a marker per card of [data-map-list] that has data-point="lat,lon";
//   each marker is a link to the proposal, named by its title (keyboard: Tab, Enter).
// - [data-map-picker]: clicking the map (or "middle of the map") fills the latitude/longitude fields.
(function () {
  "use strict";
  if (typeof window.L === "undefined") { return; }
  var L = window.L;
  var NL = L.latLngBounds([50.75, 3.2], [53.7, 7.25]);

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function makeMap(el) {
    var map = L.map(el, { zoomControl: false, maxBounds: NL.pad(0.2), attributionControl: false });
    L.control.zoom({ zoomInTitle: el.dataset.zoomIn, zoomOutTitle: el.dataset.zoomOut }).addTo(map);
    L.control.attribution({ prefix: false }).addTo(map);
    var failed = el.parentNode.querySelector("[data-map-failed]");
    var tiles = L.tileLayer(el.dataset.tileUrl, {
      maxZoom: parseInt(el.dataset.maxZoom, 10),
      attribution: escapeHtml(el.dataset.attribution)
    });
    tiles.on("tileerror", function () { if (failed) { failed.hidden = false; } });
    tiles.addTo(map);
    el.setAttribute("role", "region");
    el.setAttribute("aria-label", el.dataset.label);
    return map;
  }

  function parsePoint(text) {
    var parts = (text || "").split(",");
    var lat = parseFloat(parts[0]);
    var lon = parseFloat(parts[1]);
    return isNaN(lat) || isNaN(lon) ? null : L.latLng(lat, lon);
  }

  function markerLink(href, title) {
    var link = document.createElement("a");
    link.href = href;
    link.className = "map-marker";
    var img = document.createElement("img");
    img.src = L.Icon.Default.imagePath + "marker-icon.png";
    img.alt = "";
    img.width = 25;
    img.height = 41;
    var name = document.createElement("span");
    name.className = "visually-hidden";
    name.textContent = title;
    link.appendChild(img);
    link.appendChild(name);
    return link;
  }

  function iconPath() {
    // Where leaflet.css's images are: the folder of leaflet.js.
    var script = document.querySelector("script[src*='vendor/leaflet/leaflet.js']");
    return script ? script.src.replace(/leaflet\.js(\?.*)?$/, "images/") : "";
  }

  function proposalMap(section) {
    var el = section.querySelector("[data-map]");
    var list = document.querySelector("[data-map-list]");
    if (!el || !list) { return; }
    section.hidden = false;
    var map = makeMap(el);
    var points = [];
    list.querySelectorAll("[data-point]").forEach(function (card) {
      var point = parsePoint(card.dataset.point);
      var link = card.querySelector(".card-title a");
      if (!point || !link) { return; }
      var icon = L.divIcon({ html: markerLink(link.href, link.textContent), className: "map-marker-icon",
                             iconSize: [25, 41], iconAnchor: [12, 41], tooltipAnchor: [12, -28] });
      L.marker(point, { icon: icon, keyboard: false }).bindTooltip(escapeHtml(link.textContent)).addTo(map);
      points.push(point);
    });
    if (points.length) {
      map.fitBounds(L.latLngBounds(points), { padding: [40, 40], maxZoom: 16 });
    }
  }

  function picker(fieldset) {
    var el = fieldset.querySelector("[data-map]");
    var lat = fieldset.querySelector("input[name=latitude]");
    var lon = fieldset.querySelector("input[name=longitude]");
    if (!el || !lat || !lon) { return; }
    el.hidden = false;
    fieldset.querySelectorAll("[data-map-only]").forEach(function (node) { node.hidden = false; });
    var map = makeMap(el);
    var marker = null;
    var decimal = (1.5).toLocaleString(document.documentElement.lang || "nl").charAt(1);

    function typed(input) { return parseFloat(input.value.replace(",", ".")); }
    function show(point) {
      if (!point) {
        if (marker) { map.removeLayer(marker); marker = null; }
        return;
      }
      if (!marker) {
        marker = L.marker(point, { keyboard: false, interactive: false, alt: el.dataset.marker }).addTo(map);
      } else {
        marker.setLatLng(point);
      }
    }
    function set(point) {
      lat.value = point.lat.toFixed(6).replace(".", decimal);
      lon.value = point.lng.toFixed(6).replace(".", decimal);
      show(point);
    }
    function fromFields() {
      var a = typed(lat);
      var b = typed(lon);
      show(isNaN(a) || isNaN(b) ? null : L.latLng(a, b));
    }

    var center = JSON.parse(el.dataset.center);
    map.setView(center, parseInt(el.dataset.zoom, 10));
    fromFields();
    if (marker) { map.setView(marker.getLatLng(), 17); }
    map.on("click", function (e) { set(e.latlng); });
    lat.addEventListener("change", fromFields);
    lon.addEventListener("change", fromFields);
    fieldset.querySelector("[data-pick-centre]").addEventListener("click", function () { set(map.getCenter()); });
    fieldset.querySelector("[data-pick-clear]").addEventListener("click", function () {
      lat.value = "";
      lon.value = "";
      show(null);
    });
  }

  L.Icon.Default.imagePath = iconPath();
  document.querySelectorAll("[data-proposal-map]").forEach(proposalMap);
  document.querySelectorAll("[data-map-picker]").forEach(picker);
}());
