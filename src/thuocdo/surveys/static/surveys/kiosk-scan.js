/* Counter kiosk: read the receipt's QR code with the tablet's camera and put the dossier code in the field.
 *
 * Uses the browser's BarcodeDetector where it exists (Android, ChromeOS, macOS) and otherwise the vendored
 * jsQR, loaded only when a scan starts. Every message comes from the page (translated there); when the
 * camera is refused or missing the field keeps working for typing and hand-held scanners.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-kiosk-scan]");
  if (!root) return;
  var field = document.getElementById(root.getAttribute("data-field"));
  var start = root.querySelector("[data-scan-start]");
  var stop = root.querySelector("[data-scan-stop]");
  var panel = root.querySelector("[data-scan-panel]");
  var video = root.querySelector("video");
  var status = root.querySelector("[data-scan-status]");
  var TIMEOUT_MS = 60000;
  var stream = null;
  var timer = null;
  var deadline = 0;
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var detector = null;

  function say(name, code, isError) {
    var text = root.getAttribute("data-msg-" + name) || "";
    status.textContent = code ? text.replace("%(code)s", code) : text;
    status.classList.toggle("alert-danger", !!isError);
    status.classList.toggle("alert-success", !isError);
    status.hidden = !text;
  }

  // The same rule as services.scanned_dossier_code: the code alone, or a URL carrying it.
  function dossierCode(text) {
    text = (text || "").trim();
    var url;
    try {
      url = new URL(text);
    } catch (e) {
      return text;
    }
    var names = ["ma", "mahoso", "ma_ho_so", "code"];
    var found = "";
    url.searchParams.forEach(function (value, key) {
      if (!found && names.indexOf(key.toLowerCase()) >= 0 && value.trim()) found = value.trim();
    });
    if (found) return found;
    var parts = url.pathname.split("/").filter(Boolean);
    var at = parts.indexOf("danh-gia");
    var part = at >= 0 && at + 1 < parts.length ? parts[at + 1] : parts[parts.length - 1];
    return part ? decodeURIComponent(part).trim() : text;
  }

  function halt() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.srcObject = null;
    panel.hidden = true;
    start.hidden = false;
  }

  function found(text) {
    var code = dossierCode(text);
    halt();
    if (!code) return;
    field.value = code;
    say("found", code, false);
    var first = document.querySelector(".kiosk-face");
    if (first) first.focus();
  }

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root.getAttribute("data-jsqr");
      script.onload = function () { resolve(); };
      script.onerror = function () { reject(new Error("jsQR")); };
      document.head.appendChild(script);
    });
  }

  function decoder() {
    if ("BarcodeDetector" in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") >= 0) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return detector ? null : loadJsQR();
      }, loadJsQR);
    }
    return loadJsQR();
  }

  function frameText() {
    if (detector) {
      return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : ""; });
    }
    var w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return Promise.resolve("");
    var scale = Math.min(1, 800 / Math.max(w, h));
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var result = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" });
    return Promise.resolve(result ? result.data : "");
  }

  function tick() {
    timer = null;
    if (!stream) return;
    if (Date.now() > deadline) {
      halt();
      say("timeout", "", true);
      return;
    }
    frameText().then(function (text) {
      if (!stream) return;
      if (text) found(text);
      else timer = setTimeout(tick, 150);
    }, function () {
      if (stream) timer = setTimeout(tick, 300);
    });
  }

  function failed(error) {
    halt();
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") say("denied", "", true);
    else if (name === "NotFoundError" || name === "OverconstrainedError" || name === "NoCamera") say("absent", "", true);
    else say("failed", "", true);
    field.focus();
  }

  start.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      failed({ name: "NoCamera" });
      return;
    }
    say("starting", "", false);
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        panel.hidden = false;
        start.hidden = true;
        return Promise.all([video.play(), decoder()]);
      })
      .then(function () {
        say("scanning", "", false);
        deadline = Date.now() + TIMEOUT_MS;
        tick();
        stop.focus();
      })
      .catch(failed);
  });

  stop.addEventListener("click", function () {
    halt();
    say("", "", false);
    field.focus();
  });

  start.hidden = false;
})();
