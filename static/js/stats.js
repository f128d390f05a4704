// Bar chart of batches and person-times beside the table (Chart.js, vendored).
(function () {
  var canvas = document.getElementById("chart");
  var source = document.getElementById("chart-data");
  if (!canvas || !source || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: "人次", data: data.person_times, backgroundColor: "#b3121b", yAxisID: "y" },
        { label: "批次", data: data.batches, backgroundColor: "#0b5394", yAxisID: "y1" }
      ]
    },
    options: {
      responsive: true,
      animation: false,
      scales: {
        y: { beginAtZero: true, position: "left", ticks: { precision: 0 }, title: { display: true, text: "人次" } },
        y1: { beginAtZero: true, position: "right", ticks: { precision: 0 }, grid: { drawOnChartArea: false }, title: { display: true, text: "批次" } }
      }
    }
  });
})();
