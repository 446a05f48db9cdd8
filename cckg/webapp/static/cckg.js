// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // The language switcher applies itself on change (the button stays for no-JS use).
  const sel = document.getElementById("lang-switch");
  if (sel && sel.form) {
    sel.addEventListener("change", () => sel.form.submit());
  }
});

// City autocomplete for the mediation forms: fills the input's <datalist> from /api/cities.
// Without JavaScript the person types the name and the server checks it.
document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[data-cities]")) {
    const list = document.getElementById(input.getAttribute("list"));
    if (!list) continue;
    let timer = null;
    let last = "";
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const q = input.value.trim();
        if (q.length < 2 || q === last) return;
        last = q;
        try {
          const url = input.dataset.cities + "?q=" + encodeURIComponent(q);
          const response = await fetch(url, { headers: { Accept: "application/json" } });
          if (!response.ok) return;
          const data = await response.json();
          list.replaceChildren(...data.cities.map((c) => {
            const option = document.createElement("option");
            option.value = c.label;
            return option;
          }));
        } catch (e) {
          // the list is a convenience: typing still works
        }
      }, 200);
    });
  }
});
