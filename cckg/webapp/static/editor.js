// Replaces the plain form on /editor with YASGUI (vendored, see vendor/yasgui/README.md).
(function () {
  if (typeof window.Yasgui === "undefined") return; // the plain form stays
  const holder = document.getElementById("yasgui");
  const plain = document.getElementById("plain-editor");
  const examples = JSON.parse(document.getElementById("examples-data").textContent);
  const byName = Object.fromEntries(examples.map((e) => [e.name, e]));
  holder.hidden = false;
  const yasgui = new window.Yasgui(holder, {
    requestConfig: { endpoint: "/sparql", method: "POST" },
    copyEndpointOnNewTab: false,
    persistenceId: null,
  });
  window.yasgui = yasgui;
  yasgui.getTab().getYasqe().setValue(document.getElementById("query").value);
  plain.hidden = true;
  document.querySelectorAll("a[data-example]").forEach((a) => {
    a.addEventListener("click", (ev) => {
      const e = byName[a.dataset.example];
      if (!e) return;
      ev.preventDefault();
      const tab = yasgui.getTab();
      tab.getYasqe().setValue(e.text);
      document.querySelectorAll("a[data-example]").forEach((x) => x.removeAttribute("aria-current"));
      a.setAttribute("aria-current", "true");
      history.replaceState(null, "", "/editor?example=" + encodeURIComponent(e.name));
    });
  });
})();
