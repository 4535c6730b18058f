// A code block opened from a fold (a hidden cell's source, an exercise's solution) that scrolls sideways gets a tab
// stop, as the theme gives those visible at load: without one, a keyboard cannot scroll it (axe-core:
// scrollable-region-focusable).
function bookTabStops() {
  document.querySelectorAll("pre").forEach(function (pre) {
    if (pre.scrollWidth > pre.clientWidth && pre.checkVisibility()) pre.tabIndex = 0;
  });
}
document.addEventListener("toggle", bookTabStops, true);   // <details> (the event does not bubble: captured)
document.addEventListener("click", function (e) {           // sphinx-togglebutton's folds
  if (e.target.closest && e.target.closest(".toggle-button")) setTimeout(bookTabStops, 0);
});
