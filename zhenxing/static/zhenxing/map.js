// District map page (reports/map.html): fetches the map's data (reports:map_data) and draws it with ECharts.
// At the county, with the outline installed: the county outline and one marker per township (schematic
// places), coloured by the chosen indicator, a click opens that township. Elsewhere (a township's
// villages, or no outline): a bar chart, a click opens the list the figure counts.
// Optional background tiles (ZX_MAP_TILE_URL) are drawn by a custom series in the same projection.
(function () {
  "use strict";

  // Web Mercator, so that XYZ tiles line up with the outline; y grows downwards like the screen.
  const RAD = Math.PI / 180;
  const projection = {
    project: (p) => [p[0], -Math.log(Math.tan(Math.PI / 4 + (p[1] * RAD) / 2)) / RAD],
    unproject: (p) => [p[0], (2 * Math.atan(Math.exp(-p[1] * RAD)) - Math.PI / 2) / RAD],
  };

  function tileLng(x, z) {
    return (x / 2 ** z) * 360 - 180;
  }
  function tileLat(y, z) {
    return Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / 2 ** z))) / RAD;
  }
  function tileX(lng, z) {
    return Math.floor(((lng + 180) / 360) * 2 ** z);
  }
  function tileY(lat, z) {
    const r = lat * RAD;
    return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z);
  }

  function bounds(geojson) {
    let west = 180, east = -180, south = 90, north = -90;
    const visit = (c) => {
      if (typeof c[0] === "number") {
        west = Math.min(west, c[0]); east = Math.max(east, c[0]);
        south = Math.min(south, c[1]); north = Math.max(north, c[1]);
      } else c.forEach(visit);
    };
    geojson.features.forEach((f) => visit(f.geometry.coordinates));
    return { west, east, south, north };
  }

  // The tiles covering the outline at the zoom where one tile is about 256 screen pixels wide.
  function tileSeries(template, b, width) {
    const z = Math.max(1, Math.min(18, Math.round(Math.log2((width / 256) * (360 / (b.east - b.west))))));
    const data = [];
    for (let x = tileX(b.west, z); x <= tileX(b.east, z); x++) {
      for (let y = tileY(b.north, z); y <= tileY(b.south, z); y++) {
        data.push([(tileLng(x, z) + tileLng(x + 1, z)) / 2, (tileLat(y, z) + tileLat(y + 1, z)) / 2, x, y, z]);
      }
    }
    return {
      type: "custom",
      coordinateSystem: "geo",
      silent: true,
      z: 1,
      data: data,
      renderItem: function (params, api) {
        const x = api.value(2), y = api.value(3), zoom = api.value(4);
        const nw = api.coord([tileLng(x, zoom), tileLat(y, zoom)]);
        const se = api.coord([tileLng(x + 1, zoom), tileLat(y + 1, zoom)]);
        const url = template.replace("{z}", zoom).replace("{x}", x).replace("{y}", y);
        return { type: "image", style: { image: url, x: nw[0], y: nw[1], width: se[0] - nw[0], height: se[1] - nw[1] } };
      },
    };
  }

  function visualMap(data, seriesIndex, horizontal) {
    const values = data.rows.map((r) => r.value).filter((v) => v !== null);
    const isPercent = data.indicator.unit === "%";
    return {
      type: "continuous",
      min: 0,
      max: isPercent ? 100 : Math.max(1, ...values),
      seriesIndex: seriesIndex,
      dimension: horizontal ? 0 : 2,
      calculable: true,
      inRange: { color: data.indicator.colours },
      text: ["高", "低"],
      left: "right",
      bottom: 10,
    };
  }

  function tooltip(row) {
    return row.name + "：" + row.text + (row.detail && row.value !== null ? "<br>" + row.detail : "");
  }

  function mapOption(data, width) {
    const name = data.area.name;
    echarts.registerMap(name, data.outline);
    const series = [];
    if (data.tile_url) series.push(tileSeries(data.tile_url, bounds(data.outline), width));
    const points = (rows) => rows.map((r) => ({ name: r.name, value: [...r.position, r.value], row: r }));
    const shaded = data.rows.filter((r) => r.value !== null);
    const empty = data.rows.filter((r) => r.value === null);
    const label = { show: true, position: "right", formatter: (p) => p.data.row.name + " " + p.data.row.text, fontSize: 12 };
    series.push({ type: "scatter", coordinateSystem: "geo", symbolSize: 18, z: 10, label: label, data: points(shaded) });
    series.push({ type: "scatter", coordinateSystem: "geo", symbolSize: 14, z: 10, label: label, itemStyle: { color: "#9aa5b1" }, data: points(empty) });
    return {
      animation: false, // markers are clickable at once (and print as drawn)
      aria: { enabled: true },
      tooltip: { trigger: "item", formatter: (p) => (p.data && p.data.row ? tooltip(p.data.row) : p.name) },
      geo: {
        map: name,
        projection: projection,
        roam: true,
        z: 5,
        silent: true,
        itemStyle: { areaColor: data.tile_url ? "rgba(255,255,255,0.15)" : "#f5f7fa", borderColor: "#b3261e", borderWidth: 2 },
        label: { show: false },
      },
      visualMap: visualMap(data, data.tile_url ? 1 : 0, false),
      series: series,
    };
  }

  function barOption(data) {
    const rows = data.rows.slice().reverse(); // the first row on top
    return {
      aria: { enabled: true },
      tooltip: { trigger: "item", formatter: (p) => tooltip(rows[p.dataIndex]) },
      grid: { left: 10, right: 120, top: 10, bottom: 30, containLabel: true },
      xAxis: {
        type: "value",
        name: data.indicator.unit,
        max: data.indicator.unit === "%" ? 100 : null,
        minInterval: data.indicator.unit === "%" ? 0 : 1,
      },
      yAxis: { type: "category", data: rows.map((r) => r.name), axisLabel: { interval: 0 } },
      visualMap: visualMap(data, 0, true),
      series: [
        {
          type: "bar",
          barMaxWidth: 24,
          data: rows.map((r) => (r.value === null ? { value: 0, itemStyle: { color: "#9aa5b1" } } : r.value)),
          label: { show: true, position: "right", formatter: (p) => rows[p.dataIndex].text },
        },
      ],
    };
  }

  function draw(box, data) {
    const useMap = data.outline && data.rows.every((r) => r.position);
    box.style.width = "100%";
    box.style.height = useMap ? "520px" : Math.max(200, data.rows.length * 30 + 60) + "px";
    if (!data.rows.length) {
      box.hidden = true;
      return;
    }
    const chart = echarts.init(box);
    chart.setOption(useMap ? mapOption(data, box.clientWidth) : barOption(data));
    chart.on("click", function (p) {
      const row = useMap ? p.data && p.data.row : data.rows.slice().reverse()[p.dataIndex];
      if (!row) return;
      // At the county a click opens the township; below it, the list the figure counts.
      window.location.href = (data.area.level === "county" && row.drill_url) || row.url;
    });
    window.addEventListener("resize", () => chart.resize());
  }

  function start() {
    const box = document.getElementById("district-map");
    if (!box || typeof echarts === "undefined") return;
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.status))))
      .then((data) => draw(box, data))
      .catch(() => {
        box.textContent = "地图数据加载失败，请刷新页面重试；下表数字不受影响。";
      });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
