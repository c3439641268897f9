// "Use my location": fills the optional latitude/longitude fields from the phone's GPS; hidden where unsupported.
(function () {
  var button = document.getElementById("use-location");
  var lat = document.getElementById("id_latitude");
  var lon = document.getElementById("id_longitude");
  if (!button || !lat || !lon || !("geolocation" in navigator)) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (pos) {
      lat.value = pos.coords.latitude.toFixed(6);
      lon.value = pos.coords.longitude.toFixed(6);
    });
  });
})();
