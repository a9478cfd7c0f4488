// The queue's bulk selection (console/queue.html): shift-click ticks every row between the last
// ticked and this one; the header box ticks the page; the count of ticked tickets is shown.
// Without this file the boxes still tick one by one and the form still sends them.
(function () {
  "use strict";
  function ready() {
    var form = document.getElementById("bulk");
    if (!form) return;
    var boxes = Array.prototype.slice.call(document.querySelectorAll("input[name=tickets][form=bulk]"));
    var page = document.querySelector("[data-testid=bulk-page]");
    var count = form.querySelector("[data-testid=bulk-count]");
    var last = null;
    var show = function () {
      var ticked = boxes.filter(function (box) { return box.checked; }).length;
      if (count) count.textContent = ticked ? "(" + ticked + ")" : "";
      if (page) page.checked = ticked === boxes.length && ticked > 0;
    };
    boxes.forEach(function (box, index) {
      box.addEventListener("click", function (event) {
        if (event.shiftKey && last !== null) {
          var low = Math.min(last, index), high = Math.max(last, index);
          for (var i = low; i <= high; i++) boxes[i].checked = box.checked;
        }
        last = index;
        show();
      });
    });
    if (page) page.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = page.checked; });
      show();
    });
    show();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
