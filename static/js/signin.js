// The member's sign-in page: the name search filters the list as one types (without script the form asks the server).
(function () {
  var input = document.querySelector("[data-filter]");
  var list = input && document.getElementById(input.getAttribute("data-filter"));
  if (!list) return;
  var empty = document.getElementById("names-empty");
  input.addEventListener("input", function () {
    var q = input.value.trim(), shown = 0;
    list.querySelectorAll("li[data-name]").forEach(function (li) {
      var hit = li.getAttribute("data-name").indexOf(q) !== -1;
      li.hidden = !hit;
      if (hit) shown += 1;
    });
    list.querySelectorAll("h3").forEach(function (h) {
      var ul = h.nextElementSibling;
      h.hidden = ul && !ul.querySelector("li:not([hidden])");
    });
    if (empty) empty.hidden = shown > 0;
  });
})();
