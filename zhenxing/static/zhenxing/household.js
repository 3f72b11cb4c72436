// Household page: per-capita net income per year against the monitoring line (ECharts).
// Data comes from the json_script element named by the chart's data-chart attribute.
(function () {
  function draw() {
    const box = document.getElementById("income-chart");
    if (!box || typeof echarts === "undefined") return;
    const source = document.getElementById(box.dataset.chart);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    box.style.width = "100%";
    box.style.height = "300px";
    const chart = echarts.init(box);
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: (v) => (v == null ? "" : v.toFixed(2) + " 元") },
      legend: { top: 0, data: ["人均纯收入", "监测范围", "监测范围1.5倍"] },
      grid: { left: 60, right: 20, top: 50, bottom: 30 },
      xAxis: { type: "category", data: data.years },
      yAxis: { type: "value", name: "元/人" },
      series: [
        { name: "人均纯收入", type: "bar", data: data.per_capita, barMaxWidth: 40 },
        { name: "监测范围", type: "line", data: data.line, lineStyle: { type: "solid" }, itemStyle: { color: "#c62828" } },
        { name: "监测范围1.5倍", type: "line", data: data.near, lineStyle: { type: "dashed" }, itemStyle: { color: "#f9a825" } },
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
