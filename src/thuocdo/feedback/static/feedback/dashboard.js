/*
 * The officials' feedback dashboard: submissions a month by classification (stacked bars) and each
 * category's submissions split into handled, open within the deadline and open overdue.
 * Data comes from a json_script element; the page carries every figure in tables as well.
 */
(function () {
  "use strict";

  var COLOURS = ["#0b5394", "#6a8d2f", "#6e6e6e"];
  var STATUS = ["#0b5394", "#b45f06", "#a50e0e"];
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function months(data) {
    return {
      animation: !reduced,
      aria: { enabled: false },
      grid: { left: 8, right: 16, top: 16, bottom: 64, containLabel: true },
      legend: { bottom: 0, type: "scroll" },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "category", data: data.months, axisLabel: { rotate: 45 } },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s, i) {
        return {
          name: s.name, type: "bar", stack: "total", color: COLOURS[i % COLOURS.length], barMaxWidth: 32, data: s.values
        };
      })
    };
  }

  function categories(data) {
    var names = [data.labels.closed, data.labels.open, data.labels.overdue];
    return {
      animation: !reduced,
      aria: { enabled: false },
      grid: { left: 8, right: 24, top: 16, bottom: 48, containLabel: true },
      legend: { bottom: 0, type: "scroll" },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category", inverse: true, data: data.categories,
        axisLabel: { width: 160, overflow: "truncate" }
      },
      series: names.map(function (name, k) {
        return {
          name: name, type: "bar", stack: "status", color: STATUS[k], barMaxWidth: 28,
          data: data.category_values.map(function (v) { return v[k]; })
        };
      })
    };
  }

  function draw() {
    var source = document.getElementById("feedback-dashboard-data");
    if (!window.echarts || !source) { return; }
    var data = JSON.parse(source.textContent);
    var charts = [];
    [["feedback-months", months], ["feedback-categories", categories]].forEach(function (pair) {
      var box = document.getElementById(pair[0]);
      if (!box) { return; }
      var chart = window.echarts.init(box, null, { renderer: "svg" });
      chart.setOption(pair[1](data));
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
