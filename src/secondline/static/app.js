// secondline MDT page: small conveniences only; every action works without this file.
"use strict";

// Open every folded section that holds the element, so a link to it shows it.
function reveal(element) {
  for (let node = element; node; node = node.parentElement) {
    if (node.tagName === "DETAILS") {
      node.open = true;
    }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  // After a submit, take keyboard and screen-reader users to what changed.
  const target = document.getElementById("error-summary") || document.getElementById("results");
  if (target && !document.querySelector("[autofocus]")) {
    // the results sit at the top of the page: focus them without scrolling the
    // masthead out of the first screen
    target.focus({ preventScroll: target.id === "results" });
  }
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[href^='#']");
    const shown = link && document.getElementById(link.getAttribute("href").slice(1));
    if (shown) {
      reveal(shown);
    }
  });
  // Printing shows each option's reasons: open their folds for the print, then restore.
  let opened = [];
  window.addEventListener("beforeprint", () => {
    opened = [...document.querySelectorAll("details[data-print-open]:not([open])")];
    for (const details of opened) {
      details.open = true;
    }
  });
  window.addEventListener("afterprint", () => {
    for (const details of opened) {
      details.open = false;
    }
    opened = [];
  });
});
