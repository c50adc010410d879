// Supervisor dashboard: draws each chart from the table of figures next to it (the same numbers, readable without
// JavaScript or a screen). Chart.js is the pinned npm package, served by the backend from node_modules.
(function () {
  "use strict";
  if (!window.Chart) return;
  const palette = ["#0b5cad", "#d97706", "#15803d", "#9333ea", "#b91c1c", "#0e7490", "#4d7c0f", "#be185d"];
  const priorities = ["#b91c1c", "#ea580c", "#0b5cad", "#6b7280"];
  document.querySelectorAll("canvas[data-table]").forEach((canvas) => {
    const table = document.getElementById(canvas.dataset.table);
    if (!table) return;
    const heads = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent.trim());
    const rows = Array.from(table.querySelectorAll("tbody tr")).map((tr) => Array.from(tr.children).map((td) => td.textContent.trim()));
    const labels = rows.map((r) => r[0]);
    let datasets, type = "bar", options = { responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } };
    if (canvas.dataset.kind === "stacked") {
      datasets = heads.slice(1).map((name, i) => ({ label: name, data: rows.map((r) => Number(r[i + 1])), backgroundColor: canvas.dataset.colors === "priority" ? priorities[i % 4] : palette[i % palette.length] }));
      options.plugins.legend.display = true;
      options.scales.x = { stacked: true };
      options.scales.y.stacked = true;
    } else {
      type = canvas.dataset.kind === "line" ? "line" : "bar";
      datasets = [{ label: canvas.dataset.label, data: rows.map((r) => Number(r[1])), borderColor: palette[0],
        backgroundColor: type === "line" ? "rgba(11,92,173,.15)" : labels.map((_, i) => palette[i % palette.length]), fill: type === "line", tension: .25 }];
    }
    new window.Chart(canvas, { type: type, data: { labels: labels, datasets: datasets }, options: options });
  });
})();
