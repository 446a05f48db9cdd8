// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // The language switcher applies itself on change (the button stays for no-JS use).
  const sel = document.getElementById("lang-switch");
  if (sel && sel.form) {
    sel.addEventListener("change", () => sel.form.submit());
  }
});
