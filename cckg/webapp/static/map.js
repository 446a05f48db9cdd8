// /map, enhanced: a marker opens its things as a card beside it (without JavaScript the marker
// links to the same entries in the list), and phones switch between the map and the list.
document.addEventListener("DOMContentLoaded", () => {
  const views = document.querySelector(".map-views");
  const map = document.getElementById("worldmap");
  if (!views || !map) return;
  const figure = map.closest("figure");
  const toggle = views.querySelector(".view-toggle");
  toggle.hidden = false;
  toggle.querySelectorAll("button").forEach((b) => {
    b.addEventListener("click", () => {
      views.dataset.view = b.dataset.show;
      toggle.querySelectorAll("button").forEach((x) => x.setAttribute("aria-pressed", String(x === b)));
    });
  });
  let popup = null;
  let opener = null;
  const close = () => {
    if (popup) popup.remove();
    popup = null;
    if (opener) opener.focus();
    opener = null;
  };
  const entries = (members) =>
    members.map((iri) => document.querySelector(`li.map-card[data-iri="${CSS.escape(iri)}"]`)).filter(Boolean);
  map.querySelectorAll("a.marker").forEach((a) => {
    if (a.dataset.zoom) return; // clusters over several places zoom in (a link)
    a.addEventListener("click", (ev) => {
      const found = entries((a.dataset.members || "").split(" ").filter(Boolean));
      if (!found.length) return;
      ev.preventDefault();
      close();
      popup = document.createElement("div");
      popup.className = "map-popup";
      popup.setAttribute("role", "dialog");
      popup.setAttribute("aria-label", a.querySelector("title").textContent);
      const shut = document.createElement("button");
      shut.type = "button";
      shut.className = "close";
      shut.textContent = "×";
      shut.setAttribute("aria-label", views.dataset.close || "Close");
      shut.addEventListener("click", close);
      popup.appendChild(shut);
      const list = document.createElement("ul");
      found.forEach((li) => {
        const copy = li.cloneNode(true);
        copy.removeAttribute("id");
        list.appendChild(copy);
      });
      popup.appendChild(list);
      figure.appendChild(popup);
      const box = figure.getBoundingClientRect();
      const dot = a.querySelector("circle").getBoundingClientRect();
      const left = Math.min(dot.right - box.left + 4, Math.max(0, box.width - popup.offsetWidth));
      popup.style.left = `${Math.max(0, left)}px`;
      popup.style.top = `${Math.max(0, dot.top - box.top)}px`;
      opener = a;
      shut.focus();
    });
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") close();
  });
});
