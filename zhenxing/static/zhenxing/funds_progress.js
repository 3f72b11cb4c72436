// Disbursement progress page: percent paid per row against the schedule checkpoints (ECharts).
// Data comes from the json_script element named by the chart's data-chart attribute.
(function () {
  function draw() {
    const box = document.getElementById("progress-chart");
    if (!box || typeof echarts === "undefined") return;
    const source = document.getElementById(box.dataset.chart);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    box.style.width = "100%";
    box.style.height = "320px";
    const chart = echarts.init(box);
    const colors = ["#f9a825", "#ef6c00", "#c62828"];
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: (v) => (v == null ? "" : v.toFixed(2) + "%") },
      grid: { left: 60, right: 120, top: 30, bottom: 60 },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", name: "拨付进度 %", max: 100 },
      series: [
        {
          name: "拨付进度",
          type: "bar",
          data: data.percent.map((v) => ({ value: v, itemStyle: { color: v >= data.required ? "#2e7d32" : "#c62828" } })),
          barMaxWidth: 40,
          markLine: {
            symbol: "none",
            data: data.checkpoints.map((c, i) => ({
              yAxis: c.percent,
              name: c.label,
              label: { formatter: c.label, position: "end" },
              lineStyle: { color: colors[i % colors.length], type: "dashed" },
            })),
          },
        },
      ],
    });
    window.addEventListener("resize", () => chart.resize());
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
