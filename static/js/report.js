// The report's charts (Chart.js, vendored): this period beside the same period a year earlier.
(function () {
  var source = document.getElementById("report-data");
  if (!source || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  function draw(id, labels, now, before) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: [
        { label: "本期", data: now, backgroundColor: "#b3121b" },
        { label: "上年同期", data: before, backgroundColor: "#8a8f98" }
      ] },
      options: { responsive: true, animation: false, devicePixelRatio: Math.min(window.devicePixelRatio || 1, 2),
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "批次" } } } }
    });
  }
  // One chart a task, the first after the page has painted: a phone's slow CPU takes about 100 ms for each.
  setTimeout(function () {
    draw("chart-sector", data.sectors, data.now, data.before);
    setTimeout(function () { draw("chart-source", ["线上预约", "线下登记"], data.source, data.source_before); }, 0);
  }, 0);
})();
