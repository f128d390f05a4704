// Ask before destructive actions: any form with data-confirm.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var message = (button && button.getAttribute("data-confirm")) || (form.getAttribute && form.getAttribute("data-confirm"));
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Buttons that print the page (no inline handlers: the Content-Security-Policy allows only these files).
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});

// Search in place: an input with data-filter-target="ID" narrows the select (its options) or the list of
// checkboxes with that id as one types; nothing is reloaded and nothing typed elsewhere is lost. The options
// are removed rather than hidden, since phones' native pickers ignore hidden options.
document.addEventListener("input", function (event) {
  var input = event.target;
  var id = input.getAttribute && input.getAttribute("data-filter-target");
  if (!id) {
    return;
  }
  var target = document.getElementById(id);
  if (!target) {
    return;
  }
  var words = input.value.trim().toLowerCase();
  var shown = 0;
  if (target.tagName === "SELECT") {
    if (!target._allOptions) {
      target._allOptions = Array.prototype.slice.call(target.options);
    }
    var chosen = target.value;
    target.innerHTML = "";
    target._allOptions.forEach(function (option) {
      if (!words || option.text.toLowerCase().indexOf(words) !== -1) {
        target.appendChild(option);
        shown += 1;
      }
    });
    // The choice stays if it still matches; otherwise the first match is chosen (what one sees is what is sent).
    target.value = chosen;
    if (target.selectedIndex === -1 && target.options.length) {
      target.selectedIndex = 0;
    }
  } else {
    Array.prototype.forEach.call(target.querySelectorAll(".form-check"), function (item) {
      var match = !words || item.textContent.toLowerCase().indexOf(words) !== -1;
      item.classList.toggle("d-none", !match);
      if (match) {
        shown += 1;
      }
    });
  }
  var status = document.getElementById(id + "-filter-status");
  if (status) {
    status.textContent = words ? "找到 " + shown + " 项" : "";
  }
});

// A button with data-copy="ID" copies that field's text (the clipboard API needs HTTPS; on a plain-HTTP
// intranet the older copy command does it), and says so beside it.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-copy]");
  if (!button) {
    return;
  }
  var field = document.getElementById(button.getAttribute("data-copy"));
  var status = document.getElementById(button.getAttribute("data-copy") + "-copied");
  var done = function () { if (status) { status.textContent = "已复制，可粘贴到日历应用中。"; } };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done);
  } else {
    field.select();
    document.execCommand("copy");
    done();
  }
});

// Picking a roster: select all (of those shown) or none, narrow by role, and a running count against the limit.
(function () {
  function boxes(list) {
    return Array.prototype.slice.call(list.querySelectorAll(".form-check")).filter(function (item) {
      return !item.classList.contains("d-none") && !item.classList.contains("role-hidden");
    }).map(function (item) { return item.querySelector("input[type=checkbox]"); });
  }
  function count(list) {
    var status = document.getElementById(list.id + "-count");
    if (!status) return;
    var chosen = list.querySelectorAll("input[type=checkbox]:checked").length;
    var limit = parseInt(list.getAttribute("data-limit") || "0", 10);
    status.textContent = "已选 " + chosen + " 人，最多 " + limit + " 人（预约人数）" + (chosen > limit ? "：超出了，请减少。" : "。");
  }
  document.addEventListener("click", function (event) {
    var all = event.target.closest && event.target.closest("[data-check-all],[data-check-none]");
    if (!all) return;
    var id = all.getAttribute("data-check-all") || all.getAttribute("data-check-none");
    var list = document.getElementById(id);
    var on = all.hasAttribute("data-check-all");
    if (on) {
      // Those shown, up to the headcount: never more than the roster may hold (the server would refuse it).
      var limit = parseInt(list.getAttribute("data-limit") || "0", 10) || Infinity;
      var chosen = list.querySelectorAll("input[type=checkbox]:checked").length;
      boxes(list).forEach(function (box) {
        if (!box.checked && chosen < limit) { box.checked = true; chosen += 1; }
      });
    } else {
      Array.prototype.forEach.call(list.querySelectorAll("input[type=checkbox]"), function (box) { box.checked = false; });
    }
    count(list);
  });
  document.addEventListener("change", function (event) {
    var select = event.target;
    var id = select.getAttribute && select.getAttribute("data-role-filter");
    if (id) {
      var list = document.getElementById(id);
      Array.prototype.forEach.call(list.querySelectorAll(".form-check"), function (item) {
        item.classList.toggle("role-hidden", !!select.value && item.getAttribute("data-role") !== select.value);
      });
      return;
    }
    var list2 = select.closest && select.closest("[data-limit]");
    if (list2) count(list2);
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-limit]"), count);
})();
