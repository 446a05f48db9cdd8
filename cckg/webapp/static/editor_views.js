// Result views of the SPARQL editor beside YASGUI's table: a bar chart (a label column and a
// number column), a map (geo:wktLiteral points on the server's world outline, Equal Earth as on
// /map) and a network (rows with two IRI columns, drawn by Cytoscape.js). Built with DOM calls
// and SVG attributes only: no inline styles or scripts.
(function () {
  const panel = document.getElementById("result-views");
  if (!panel || typeof window.yasgui === "undefined") return;
  const SVG = "http://www.w3.org/2000/svg";
  const WKT = "http://www.opengis.net/ont/geosparql#wktLiteral";
  const NUMERIC = /#(integer|decimal|double|float|int|long|short|nonNegativeInteger|positiveInteger)$/;
  const text = JSON.parse(document.getElementById("views-text").textContent);
  const out = panel.querySelector(".view-output");
  const note = panel.querySelector(".view-note");
  let current = { vars: [], rows: [] };
  let view = "chart";

  const el = (name, attrs, ns) => {
    const e = ns ? document.createElementNS(ns, name) : document.createElement(name);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, String(v)));
    return e;
  };
  const label = (t) => (t ? (t.type === "uri" ? t.value.replace(/^.*[/#]/, "") : t.value) : "");
  // A column ?x next to ?xLabel shows the label (as the named queries' tables do).
  const name = (r, v) => (r[`${v}Label`] ? r[`${v}Label`].value : label(r[v]));
  const isNumber = (t) => t && t.type === "literal" && ((t.datatype && NUMERIC.test(t.datatype)) || (!t.datatype && /^-?\d+(\.\d+)?$/.test(t.value)));

  function chart() {
    const numCol = current.vars.find((v) => current.rows.length && current.rows.every((r) => !r[v] || isNumber(r[v])) && current.rows.some((r) => r[v]));
    const labelCol = current.vars.find((v) => v !== numCol && !v.endsWith("Label")) || current.vars.find((v) => v !== numCol);
    if (!numCol || !labelCol) return text.noChart;
    const rows = current.rows.slice(0, 60);
    const top = Math.max(1, ...rows.map((r) => Number(r[numCol] ? r[numCol].value : 0)));
    const svg = el("svg", { class: "barchart", viewBox: `0 0 650 ${rows.length * 22}`, role: "img", "aria-label": `${text.chart}: ${numCol} / ${labelCol}` }, SVG);
    rows.forEach((r, i) => {
      const value = Number(r[numCol] ? r[numCol].value : 0);
      const g = el("g", { transform: `translate(0 ${i * 22})` }, SVG);
      const tag = el("text", { x: 214, y: 11, dy: "0.35em", "text-anchor": "end", class: "bar-label" }, SVG);
      tag.textContent = name(r, labelCol).slice(0, 32);
      const bar = el("rect", { x: 220, y: 3, height: 16, width: Math.max(1, (380 * Math.max(value, 0)) / top), class: "s0" }, SVG);
      const v = el("text", { x: 226 + (380 * Math.max(value, 0)) / top, y: 11, dy: "0.35em", class: "bar-value" }, SVG);
      v.textContent = String(value);
      g.append(tag, bar, v);
      svg.appendChild(g);
    });
    out.appendChild(svg);
    return rows.length < current.rows.length ? text.firstRows.replace("{n}", rows.length) : "";
  }

  // Equal Earth, fitted into the 1000-wide world outline of /map/world.svg
  const A1 = 1.340264, A2 = -0.081106, A3 = 0.000893, A4 = 0.003796, M = Math.sqrt(3) / 2;
  const XM = 2.7066299836960748, YM = 1.3173627591574133, W = 1000, H = Math.round((1000 * YM * 10) / XM) / 10;
  function project(lon, lat) {
    const lam = (lon * Math.PI) / 180, th = Math.asin(M * Math.sin((lat * Math.PI) / 180));
    const t2 = th * th, t6 = t2 * t2 * t2;
    const x = (lam * Math.cos(th)) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)));
    const y = th * (A1 + A2 * t2 + t6 * (A3 + A4 * t2));
    const s = Math.min(W / (2 * XM), H / (2 * YM));
    return [(W - 2 * XM * s) / 2 + (x + XM) * s, (H - 2 * YM * s) / 2 + (YM - y) * s];
  }
  function map() {
    const points = [];
    current.rows.forEach((r) => {
      current.vars.forEach((v) => {
        const t = r[v];
        if (!t || t.type !== "literal") return;
        const m = /POINT\s*\(\s*([-+\d.eE]+)\s+([-+\d.eE]+)\s*\)/i.exec(t.value);
        if (m && (t.datatype === WKT || /^\s*POINT/i.test(t.value))) {
          const title = current.vars.filter((x) => x !== v).map((x) => name(r, x)).find((x) => x) || t.value;
          points.push([Number(m[1]), Number(m[2]), title]);
        }
      });
    });
    if (!points.length) return text.noMap;
    const svg = el("svg", { class: "worldmap", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${text.map}: ${points.length}` }, SVG);
    svg.appendChild(el("image", { href: "/map/world.svg", x: 0, y: 0, width: W, height: H }, SVG));
    points.forEach(([lon, lat, name]) => {
      if (Math.abs(lon) > 180 || Math.abs(lat) > 90) return;
      const [x, y] = project(lon, lat);
      const c = el("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 5, class: "result-point" }, SVG);
      const title = el("title", {}, SVG);
      title.textContent = name;
      c.appendChild(title);
      svg.appendChild(c);
    });
    out.appendChild(svg);
    return "";
  }

  function network() {
    const iriCols = current.vars.filter((v) => current.rows.some((r) => r[v] && r[v].type === "uri"));
    if (iriCols.length < 2 || typeof window.cytoscape === "undefined") return text.noNetwork;
    const [a, b] = iriCols;
    const nodes = new Map();
    const edges = [];
    current.rows.slice(0, 2000).forEach((r, i) => {
      if (!r[a] || !r[b] || r[a].type !== "uri" || r[b].type !== "uri") return;
      [a, b].forEach((v) => nodes.set(r[v].value, { data: { id: r[v].value, label: name(r, v) } }));
      edges.push({ data: { id: `e${i}`, source: r[a].value, target: r[b].value } });
    });
    const box = el("div", { class: "network-canvas result-network", role: "img", "aria-label": `${text.network}: ${nodes.size} / ${edges.length}` });
    out.appendChild(box);
    window.cytoscape({
      container: box,
      elements: { nodes: [...nodes.values()], edges },
      layout: { name: "cose", animate: false, randomize: false },
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 10, width: 10, height: 10, "background-color": "#0b5d7a" } },
        { selector: "edge", style: { width: 1, "line-color": "#9aa7ad", "curve-style": "straight" } },
      ],
    });
    return "";
  }

  function draw() {
    out.replaceChildren();
    const said = { chart, map, network }[view]();
    note.textContent = said || "";
    panel.querySelectorAll("button[data-view]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.view === view)));
  }

  panel.querySelectorAll("button[data-view]").forEach((b) => {
    b.addEventListener("click", () => {
      view = b.dataset.view;
      draw();
    });
  });
  function take(content) {
    try {
      const data = JSON.parse(content);
      if (!data.head || !data.results) return;
      current = { vars: data.head.vars || [], rows: data.results.bindings || [] };
      panel.hidden = false;
      draw();
    } catch (e) {
      /* not SPARQL JSON results (CONSTRUCT, an error): nothing to show */
    }
  }
  const hook = (tab) => {
    const yasqe = tab && tab.getYasqe && tab.getYasqe();
    if (yasqe && !yasqe.__cckgViews) {
      yasqe.__cckgViews = true;
      yasqe.on("queryResults", (_y, content) => take(content));
    }
  };
  hook(window.yasgui.getTab());
  window.yasgui.on("tabSelect", () => setTimeout(() => hook(window.yasgui.getTab()), 0));
  window.yasgui.on("tabAdd", () => setTimeout(() => hook(window.yasgui.getTab()), 0));
})();
