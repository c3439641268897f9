/*
 * Publication charts: a trend against targets, a bubble map on unit centroids and the key-driver priority
 * matrix (importance × gap to 100%), drawn with ECharts.
 * Data comes from <script type="application/json"> elements (Django's json_script), never inline code.
 * Each chart box carries a text alternative (aria-label) and the page has the full table beside it.
 */
(function () {
  "use strict";

  var RED = "#a50e0e";
  var PALETTE = ["#0b5394", "#6a8d2f", "#b45f06", "#674ea7", "#45818e"];
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function vn(value, places) {
    if (value === null || value === undefined) { return "—"; }
    return Number(value).toFixed(places === undefined ? 2 : places).replace(".", ",");
  }

  function trend(box, data) {
    // Survey trends are percentages; the 766 index is points out of 100 (yName "điểm").
    var unit = data.yName === "%" || !data.yName ? "%" : " " + data.yName;
    var series = [];
    var main = data.series[0];
    if (data.band && data.band.some(function (b) { return b; })) {
      series.push({
        name: "_low", type: "line", stack: "ci", symbol: "none", silent: true,
        lineStyle: { opacity: 0 }, data: data.band.map(function (b) { return b ? b[0] : null; })
      });
      series.push({
        name: "_band", type: "line", stack: "ci", symbol: "none", silent: true,
        lineStyle: { opacity: 0 }, areaStyle: { color: "rgba(11, 83, 148, 0.15)" },
        data: data.band.map(function (b) { return b ? b[1] - b[0] : null; })
      });
    }
    data.series.forEach(function (s, index) {
      series.push({
        name: s.name,
        type: "line",
        connectNulls: true,
        color: PALETTE[index % PALETTE.length],
        lineStyle: { width: index === 0 ? 3 : 1.5, type: s.dashed ? "dashed" : "solid" },
        data: s.values.map(function (v, i) {
          return { value: v, symbol: s.estimated[i] ? "triangle" : "circle", symbolSize: s.estimated[i] ? 11 : 7, estimated: s.estimated[i] };
        }),
        markLine: index === 0 && data.targets.length ? {
          symbol: "none", silent: true,
          lineStyle: { color: RED, type: "dashed", width: 1.5 },
          label: { color: RED, position: "insideStartTop", formatter: function (p) { return p.name; } },
          data: data.targets.map(function (t) { return { yAxis: t.value, name: t.label }; })
        } : undefined
      });
    });
    var values = [];
    data.series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null) { values.push(v); } }); });
    (data.band || []).forEach(function (b) { if (b) { values.push(b[0]); } });
    var low = Math.max(0, Math.floor(Math.min.apply(null, values) - 4));
    return {
      animation: !reduced,
      aria: { enabled: false },
      grid: { left: 8, right: 28, top: 16, bottom: 56, containLabel: true },
      legend: { bottom: 0, type: "scroll", data: data.series.map(function (s) { return s.name; }) },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var lines = [items[0].axisValue];
          items.forEach(function (item) {
            if (item.seriesName.charAt(0) === "_" || item.value === null || item.value === undefined) { return; }
            var mark = item.data && item.data.estimated ? " (" + data.labels.estimate + ")" : "";
            lines.push(item.marker + item.seriesName + ": " + vn(item.value) + unit + mark);
          });
          return lines.join("<br>");
        }
      },
      xAxis: { type: "category", data: data.years, boundaryGap: false },
      yAxis: { type: "value", min: low, max: 100, axisLabel: { formatter: "{value}" + unit } },
      series: series
    };
  }

  function map(box, data) {
    var enough = data.points.filter(function (p) { return p.enough; });
    var few = data.points.filter(function (p) { return !p.enough; });
    var lons = data.points.map(function (p) { return p.lon; });
    var lats = data.points.map(function (p) { return p.lat; });
    var values = enough.map(function (p) { return p.value; });
    var pad = Math.max(0.15, (Math.max.apply(null, lats) - Math.min.apply(null, lats)) * 0.05);
    function row(p) { return [p.lon, p.lat, p.value, p.name, p.rank, p.n, p.estimate]; }
    return {
      animation: !reduced,
      aria: { enabled: false },
      grid: { left: 8, right: 8, top: 8, bottom: 56 },
      xAxis: { type: "value", show: false, min: Math.min.apply(null, lons) - pad, max: Math.max.apply(null, lons) + pad },
      yAxis: { type: "value", show: false, min: Math.min.apply(null, lats) - pad, max: Math.max.apply(null, lats) + pad },
      tooltip: {
        formatter: function (p) {
          var d = p.data;
          var text = "<strong>" + d[3] + "</strong><br>";
          if (p.seriesIndex === 1) { return text + data.labels.few; }
          return text + vn(d[2]) + "%" + (d[6] ? " (" + data.labels.estimate + ")" : "") + (d[4] ? "<br>" + data.labels.rank + " " + d[4] : "");
        }
      },
      visualMap: {
        type: "continuous", seriesIndex: 0, dimension: 2,
        min: Math.floor(Math.min.apply(null, values.length ? values : [0])),
        max: Math.ceil(Math.max.apply(null, values.length ? values : [100])),
        orient: "horizontal", left: "center", bottom: 0, itemWidth: 12, itemHeight: 160,
        text: ["", ""], formatter: function (v) { return vn(v, 0) + "%"; },
        inRange: { color: ["#fbe3c4", "#e8a15a", "#b8461b", "#7a0d0d"] }
      },
      series: [
        { type: "scatter", symbolSize: 14, data: enough.map(row), itemStyle: { borderColor: "#333", borderWidth: 0.6 } },
        { type: "scatter", symbolSize: 10, data: few.map(row), itemStyle: { color: "#ffffff", borderColor: "#555", borderWidth: 1.2 } }
      ]
    };
  }

  function nice(value, step) { return Math.ceil(value / step) * step; }

  function matrix(box, data) {
    var colours = { improve_first: RED, keep_strength: "#0b5394", improve_later: "#b45f06" };
    var xs = data.points.map(function (p) { return p.x; }).concat([data.xLine]);
    var ys = data.points.map(function (p) { return p.y; }).concat([data.yLine]);
    return {
      animation: !reduced,
      aria: { enabled: false },
      grid: { left: 34, right: 24, top: 16, bottom: 40, containLabel: true },
      tooltip: {
        formatter: function (p) {
          var d = p.data;
          return "<strong>" + d[2] + "</strong> " + d[3] + "<br>" + data.labels.x + ": " + vn(d[0], 1) +
            "<br>" + data.labels.index + ": " + vn(100 - d[1], 1) + "%<br>" + (d[5] || "");
        }
      },
      xAxis: { type: "value", name: data.labels.x, nameLocation: "middle", nameGap: 26, min: 0, max: nice(Math.max.apply(null, xs) + 0.5, 2) },
      yAxis: { type: "value", name: data.labels.y, nameLocation: "middle", nameGap: 30, min: 0, max: nice(Math.max.apply(null, ys) + 1, 5) },
      series: [{
        type: "scatter",
        symbolSize: 12,
        data: data.points.map(function (p) { return [p.x, p.y, p.code, p.label, p.quadrant, p.quadrantLabel]; }),
        itemStyle: { color: function (p) { return colours[p.data[4]] || "#6e6e6e"; }, borderColor: "#333", borderWidth: 0.5 },
        label: { show: true, position: "right", fontSize: 11, formatter: function (p) { return p.data[2]; } },
        markLine: {
          symbol: "none", silent: true,
          lineStyle: { color: "#555", type: "dashed", width: 1 },
          label: { show: false },
          data: [{ xAxis: data.xLine }, { yAxis: data.yLine }]
        }
      }]
    };
  }

  function draw() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var source = document.getElementById(box.getAttribute("data-chart"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var chart = window.echarts.init(box, null, { renderer: "svg" });
      var build = { map: map, matrix: matrix }[data.kind] || trend;
      chart.setOption(build(box, data));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
