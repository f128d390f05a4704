// The big screen's charts, redrawn from the figures fetched again every minute (no cookie is sent or kept).
(function () {
  var main = document.querySelector("[data-screen-url]");
  var first = document.getElementById("screen-data");
  if (!main || !first || !window.Chart) return;
  // Read from across a room: the charts' text grows with the display (16 px on a laptop, 24 px at 1920 px wide).
  Chart.defaults.font.size = Math.max(16, Math.min(28, Math.round(window.innerWidth / 80)));
  var charts = {};
  function chart(id, config) {
    if (charts[id]) { charts[id].data = config.data; charts[id].update(); return; }
    var canvas = document.getElementById(id);
    if (canvas) charts[id] = new Chart(canvas, config);
  }
  function bars(labels, datasets, stacked) {
    return { type: "bar", data: { labels: labels, datasets: datasets },
             options: { responsive: true, maintainAspectRatio: false, animation: false, indexAxis: stacked ? "y" : "x",
                        plugins: { legend: { display: datasets.length > 1 } },
                        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { beginAtZero: true, ticks: { precision: 0 } } } } };
  }
  function show(data) {
    data.tiles.forEach(function (t, i) {
      var el = document.querySelector('[data-tile="' + i + '"]');
      if (el) el.textContent = t.value;
    });
    var updated = document.getElementById("updated");
    if (updated) updated.textContent = data.updated_at.slice(11, 16);
    var coming = document.getElementById("coming"), comingText = document.getElementById("coming-text");
    if (coming && comingText && comingText.textContent !== data.coming) {
      comingText.textContent = data.coming;
      coming.hidden = !data.coming;
    }
    chart("screen-month", {
      type: "bar",
      data: { labels: data.by_month.labels, datasets: [
        { label: "批次", data: data.by_month.batches, backgroundColor: "#b3121b", yAxisID: "batches" },
        { label: "人次", data: data.by_month.person_times, type: "line", borderColor: "#e0a100",
          backgroundColor: "#e0a100", yAxisID: "people" }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 scales: { batches: { position: "left", beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "批次" } },
                           people: { position: "right", beginAtZero: true, ticks: { precision: 0 }, grid: { drawOnChartArea: false },
                                     title: { display: true, text: "人次" } } } }
    });
    chart("screen-type", bars(data.by_type.labels, [{ label: "批次", data: data.by_type.values, backgroundColor: "#b3121b" }], true));
    chart("screen-sector", bars(data.by_sector.labels, [{ label: "批次", data: data.by_sector.values, backgroundColor: "#0b5394" }], true));
  }
  show(JSON.parse(first.textContent));
  setInterval(function () {
    fetch(main.getAttribute("data-screen-url"), { credentials: "omit", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) show(data); })
      .catch(function () { /* the network is back next minute */ });
  }, 60000);
})();
