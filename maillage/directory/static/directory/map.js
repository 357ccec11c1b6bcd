// The directory map: reads the data endpoint named by the map element and puts one marker per service.
// Leaflet comes from django-leaflet's static files; the tile server is the page's setting.
(function () {
  "use strict";
  var element = document.getElementById("directory-map");
  if (!element || typeof L === "undefined") {
    return;
  }
  element.hidden = false;
  var map = L.map(element).setView([50.8466, 4.3528], 12);
  L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
  fetch(element.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      var bounds = [];
      data.services.forEach(function (service) {
        var popup = document.createElement("div");
        var link = document.createElement("a");
        link.href = service.url;
        link.textContent = service.name;
        popup.appendChild(link);
        var address = document.createElement("p");
        address.textContent = service.address;
        popup.appendChild(address);
        (service.workers || []).forEach(function (worker) {
          var line = document.createElement("p");
          var name = document.createElement("a");
          name.href = worker.url;
          name.textContent = worker.name;
          line.appendChild(name);
          line.appendChild(document.createTextNode(" — " + worker.function));
          popup.appendChild(line);
        });
        L.marker([service.lat, service.lon], { title: service.name, alt: service.name }).bindPopup(popup).addTo(map);
        bounds.push([service.lat, service.lon]);
      });
      if (bounds.length) {
        map.fitBounds(bounds, { maxZoom: 15, padding: [20, 20] });
      }
      element.dataset.markers = String(data.services.length);
    });
})();
