// The Print button of printed records (no inline scripts: the CSP forbids them).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
