// Draws each report's chart from the same numbers as its table (a json_script beside it).
// Chart.js is served from our own static files (vendor/chartjs); no CDN.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return; // the tables still carry every number
  }
  var palette = ["#2f7d3c", "#c0392b", "#d49a00", "#1f5fbf", "#6b4fa0", "#5b6573"];
  var colours = {
    met: "#2f7d3c", breached: "#c0392b", pending: "#d49a00",
    at_intake: "#1f5fbf", by_agent: "#6b4fa0",
    unanswered: "#d49a00", overdue: "#c0392b",
  };
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var stacked = spec.kind === "bar";
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series, index) {
          return {
            label: series.label,
            data: series.data,
            backgroundColor: colours[series.key] || palette[index % palette.length],
          };
        }),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } },
        },
        plugins: { legend: { position: "bottom" } },
      },
    });
    canvas.dataset.drawn = "true"; // for the browser tests: the chart was built
    canvas.chart = chart;
  });
})();
