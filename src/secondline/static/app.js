// secondline MDT page: small conveniences only; every action works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // After a submit, take keyboard and screen-reader users to what changed.
  const target = document.getElementById("error-summary") || document.getElementById("results");
  if (target && !document.querySelector("[autofocus]")) {
    target.focus();
  }
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
});
