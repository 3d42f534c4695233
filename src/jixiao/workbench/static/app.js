// jixiao workbench: highlight a value's box on the page image while its field is hovered or focused.
// Written for this package (no third-party code); served from the package itself, never a CDN.
(function () {
  "use strict";
  function boxesFor(field) {
    return Array.prototype.filter.call(document.querySelectorAll(".box"), function (b) {
      return b.getAttribute("data-field") === field;
    });
  }
  function show(el, on) {
    var boxes = boxesFor(el.getAttribute("data-field"));
    boxes.forEach(function (b) { b.classList.toggle("on", on); });
    if (on && boxes.length && boxes[0].scrollIntoView) {
      boxes[0].scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-field]:not(.box)").forEach(function (el) {
      el.addEventListener("mouseenter", function () { show(el, true); });
      el.addEventListener("mouseleave", function () { show(el, false); });
      el.addEventListener("focusin", function () { show(el, true); });
      el.addEventListener("focusout", function () { show(el, false); });
    });
  });
})();
