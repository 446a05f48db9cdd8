// /network, enhanced: the same graph at the same positions, drawn by Cytoscape.js (vendored) so
// it can be zoomed, panned and explored; selecting a link shows its evidence (the rows of the
// table below, which stay the accessible form of the network). Without JavaScript the server's
// SVG stays.
document.addEventListener("DOMContentLoaded", () => {
  const holder = document.getElementById("network-interactive");
  const svg = document.getElementById("network-svg");
  const panel = document.getElementById("edge-evidence");
  if (!holder || !svg || typeof window.cytoscape === "undefined") return;
  const colours = {
    "good-urban-governance": "#1f5fa8",
    "local-economic-development": "#a35200",
    "integrated-urban-development": "#1b7a4d",
    "municipal-services": "#8e3b8e",
    none: "#5a6570",
  };
  const dashes = { solution: "solid", partner: "dashed", event: "dotted" };
  const showEvidence = (edge) => {
    const row = document.getElementById(edge.id());
    if (!row) return;
    panel.replaceChildren();
    const title = document.createElement("p");
    const strong = document.createElement("strong");
    strong.textContent = edge.data("label");
    title.appendChild(strong);
    panel.appendChild(title);
    const list = row.querySelector("ul.evidence");
    if (list) panel.appendChild(list.cloneNode(true));
    panel.hidden = false;
  };
  fetch(holder.dataset.src, { headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
    .then((data) => {
      holder.hidden = false;
      svg.classList.add("replaced"); // SVG elements have no `hidden` property
      const cy = window.cytoscape({
        container: holder,
        elements: data.elements,
        layout: { name: "preset", fit: true, padding: 20 },
        minZoom: 0.3,
        maxZoom: 6,
        style: [
          {
            selector: "node",
            style: {
              width: "data(size)",
              height: "data(size)",
              "background-color": (n) => colours[n.data("focus")] || colours.none,
              "border-color": "#fff",
              "border-width": 1.5,
              label: (n) => (n.data("activity") >= 3 ? n.data("label") : ""),
              "font-size": 11,
              "text-valign": "top",
              "text-margin-y": -3,
              "text-outline-color": "#fff",
              "text-outline-width": 2,
            },
          },
          {
            selector: "edge",
            style: {
              width: "data(width)",
              "line-color": (e) => colours[e.data("focus")] || colours.none,
              "line-style": (e) => dashes[e.data("relation")] || "solid",
              opacity: 0.6,
              "curve-style": "straight",
            },
          },
          { selector: "node:selected", style: { "border-color": "#f2a900", "border-width": 3, label: "data(label)" } },
          { selector: "edge:selected", style: { "line-color": "#f2a900", opacity: 1 } },
          { selector: ".faded", style: { opacity: 0.12 } },
        ],
      });
      window.cckgNetwork = cy;
      cy.on("tap", "edge", (ev) => showEvidence(ev.target));
      cy.on("tap", "node", (ev) => {
        cy.elements().removeClass("faded");
        const near = ev.target.closedNeighborhood();
        cy.elements().not(near).addClass("faded");
      });
      cy.on("dbltap", "node", (ev) => {
        window.location.href = ev.target.data("href");
      });
      cy.on("tap", (ev) => {
        if (ev.target === cy) cy.elements().removeClass("faded");
      });
      holder.dataset.ready = "true";
    })
    .catch(() => {
      holder.hidden = true;
      svg.classList.remove("replaced");
    });
});
