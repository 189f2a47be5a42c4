/*
 * The site map: loads the filtered sites as GeoJSON, page by page, and draws them.
 *
 * Exact points are filled markers sized by the reconciled best count and coloured by
 * status; approximate or coarsened locations are dashed rings, and from zoom 9 the
 * circle of the area the site lies in, so nobody reads a pin where the record only
 * knows a district. Markers cluster when
 * dense. Without tiles (no tile server configured or reachable) the points still
 * show. Text from the record is set with textContent, never parsed as HTML.
 */
(function () {
  "use strict";

  var MAX_FEATURES = 20000;
  var element = document.getElementById("site-map");
  var status = document.getElementById("map-status");
  if (!element || !window.L) {
    return;
  }
  var colours = JSON.parse(document.getElementById("status-colours").textContent);
  var data = element.dataset;

  var map = L.map(element, { worldCopyJump: true }).setView([30, 20], 2);
  if (data.tilesUrl) {
    L.tileLayer(data.tilesUrl, { attribution: data.tilesAttribution, maxZoom: 18 }).addTo(map);
  }
  var cluster = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false });
  map.addLayer(cluster);

  var shown = 0;
  var total = 0;
  var bounds = L.latLngBounds([]);

  function say(template, total) {
    status.textContent = template.replace("__shown__", shown.toLocaleString()).replace("__total__", total.toLocaleString());
  }

  function popup(properties) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var title = document.createElement("a");
    title.href = properties.url;
    title.dir = "auto";
    title.textContent = properties.reference_code + " " + properties.name;
    box.appendChild(title);
    var facts = document.createElement("p");
    // The range as the list shows it ("≥ 300" where a source left the high open), and a
    // best figure only where an estimate gives one: a bound alone is not a best.
    facts.textContent = properties.status_label +
      (properties.reconciled_low_bound === null ? "" : " · " + properties.reconciled_range) +
      (properties.reconciled_best === null ? "" : " · " + data.bestLabel + " " + properties.reconciled_best.toLocaleString()) +
      (properties.location_note ? " · " + properties.location_note : "");
    box.appendChild(facts);
    var open = document.createElement("a");
    open.href = properties.url;
    open.textContent = data.dossierLabel;
    box.appendChild(open);
    return box;
  }

  // A site known only to an area gets a ring in the clusters and, once zoomed in far
  // enough for the area to mean something, the circle it lies within.
  var AREA_MIN_ZOOM = 9;
  var areas = L.layerGroup();

  function layerFor(feature) {
    var p = feature.properties;
    var latLng = [feature.geometry.coordinates[1], feature.geometry.coordinates[0]];
    var colour = colours[p.status] || "#333333";
    var marker;
    if (p.radius_m > 0) {
      marker = L.circleMarker(latLng, {
        radius: p.marker_radius, color: colour, weight: 3, dashArray: "3 3", fillColor: colour, fillOpacity: 0.25
      });
      areas.addLayer(L.circle(latLng, {
        radius: p.radius_m, color: colour, weight: 1, dashArray: "6 4", fillColor: colour, fillOpacity: 0.12,
        interactive: false
      }));
    } else {
      marker = L.circleMarker(latLng, {
        radius: p.marker_radius, color: "#222222", weight: 1, fillColor: colour, fillOpacity: 0.9
      });
    }
    marker.bindPopup(popup(p));
    marker.bindTooltip(p.reference_code);
    return marker;
  }

  function showAreasWhenClose() {
    if (map.getZoom() >= AREA_MIN_ZOOM) {
      map.addLayer(areas);
    } else {
      map.removeLayer(areas);
    }
  }
  map.on("zoomend", showAreasWhenClose);

  function finish(total) {
    element.dataset.loaded = String(shown);
    say(shown < total ? data.cappedTemplate : data.statusTemplate, total);
    if (bounds.isValid()) {
      map.fitBounds(bounds, { maxZoom: 12, padding: [60, 60] });
    }
    showAreasWhenClose();
  }

  function load(url) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (collection) {
        var layers = collection.features.map(layerFor);
        cluster.addLayers(layers);
        layers.forEach(function (layer) { bounds.extend(layer.getLatLng()); });
        shown += layers.length;
        if (collection.count !== null) {
          total = collection.count;  // sent with the first page only
        }
        say(data.statusTemplate, total);
        if (collection.next && shown < MAX_FEATURES) {
          load(collection.next);
        } else {
          finish(total);
        }
      })
      .catch(function () {
        status.textContent = data.errorLabel;
      });
  }

  load(data.geojsonUrl);
}());
