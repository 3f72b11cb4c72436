// Dashboards (统计看板) and the wall display (大屏): draws every chart spec of the json_script element
// "dashboard-charts" into the element "chart-<id>" with ECharts; a click on a bar, point or slice opens the
// list it counts. Redrawn after htmx replaces the wall's panel.
(function () {
  const drawn = [];

  function option(spec, dark) {
    const text = dark ? "#e6edf3" : "#333";
    const base = {
      title: { text: spec.title, left: "center", textStyle: { fontSize: 14, color: text } },
      tooltip: { trigger: spec.kind === "pie" ? "item" : "axis" },
      legend: { bottom: 0, textStyle: { color: text } },
      backgroundColor: "transparent",
    };
    if (spec.kind === "pie") {
      const s = spec.series[0];
      const colours = { 红色: "#c62828", 黄色: "#f9a825", 绿色: "#2e7d32" };
      base.series = [{
        name: s.name, type: "pie", radius: ["35%", "65%"], top: 30,
        label: { color: text, formatter: "{b}：{c}" },
        data: spec.labels.map((label, i) => {
          const point = { name: label, value: s.data[i] };
          if (colours[label]) point.itemStyle = { color: colours[label] };
          return point;
        }),
      }];
      return base;
    }
    base.grid = { left: 50, right: spec.marks ? 110 : 30, top: 40, bottom: 60, containLabel: true };
    base.xAxis = { type: "category", data: spec.labels, axisLabel: { color: text, interval: 0, rotate: spec.labels.length > 6 ? 30 : 0 } };
    base.yAxis = { type: "value", max: spec.max, axisLabel: { color: text } };
    base.series = spec.series.map((s) => ({ name: s.name, type: spec.kind, data: s.data, barMaxWidth: 36 }));
    if (spec.marks && base.series.length) {
      base.series[0].markLine = {
        symbol: "none",
        data: spec.marks.map((m) => ({ yAxis: m.value, name: m.label, label: { formatter: m.label, position: "end", color: text } })),
      };
    }
    return base;
  }

  function draw() {
    if (typeof echarts === "undefined") return;
    const source = document.getElementById("dashboard-charts");
    if (!source) return;
    while (drawn.length) drawn.pop().dispose();
    JSON.parse(source.textContent).forEach((spec) => {
      const box = document.getElementById("chart-" + spec.id);
      if (!box) return;
      const dark = box.closest("[data-theme=dark]") !== null;
      const chart = echarts.init(box, dark ? "dark" : null);
      chart.setOption(option(spec, dark));
      chart.on("click", (p) => {
        const s = spec.series[p.seriesIndex] || spec.series[0];
        const url = s && s.urls[p.dataIndex];
        if (url) window.location.href = url;
      });
      drawn.push(chart);
    });
  }

  window.addEventListener("resize", () => drawn.forEach((c) => c.resize()));
  document.addEventListener("htmx:afterSettle", draw);
  document.addEventListener("click", (e) => {
    const button = e.target.closest("[data-fullscreen]");
    if (button && document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
