// Vigil console: progressive enhancement only; every page works without it.
// Destructive actions ask for confirmation (buttons with data-confirm).
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const message = button?.getAttribute("data-confirm");
  if (message && !window.confirm(message)) event.preventDefault();
});
