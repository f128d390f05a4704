// Bar charts of batches and of person-times beside the table (Chart.js, vendored): one chart each, so that
// neither measure is drawn against the other's scale.
(function () {
  var source = document.getElementById("chart-data");
  if (!source || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  function draw(id, label, values, colour) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: [{ label: label, data: values, backgroundColor: colour }] },
      options: {
        responsive: true,
        animation: false,
        devicePixelRatio: Math.min(window.devicePixelRatio || 1, 2),
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: label } } }
      }
    });
  }
  // One chart a task: the page answers a tap between the two (a phone's slow CPU takes about 100 ms for each).
  draw("chart-batches", "批次", data.batches, "#0b5394");
  setTimeout(function () { draw("chart-person-times", "人次", data.person_times, "#b3121b"); }, 0);
})();
