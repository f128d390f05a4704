// The members' sign-in QR code: a new link every 30 s (each lives about two minutes), with who has signed in.
(function () {
  var box = document.getElementById("signin-show");
  if (!box) return;
  var qr = document.getElementById("signin-qr");
  var count = document.getElementById("signin-count");
  var names = document.getElementById("signin-names");
  var renew = document.getElementById("signin-renew");
  var url = box.getAttribute("data-code-url");
  var expires = Number(box.getAttribute("data-expires-ms"));

  // A code whose link has expired is greyed out and said so: nobody scans a code that no longer works.
  function stale(yes) {
    qr.classList.toggle("signin-qr-stale", yes);
    renew.classList.toggle("signin-renew-stale", yes);
    if (yes) put(renew, "二维码已失效，请点“刷新二维码”。");
  }

  function put(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (data) {
      qr.innerHTML = data.svg;
      expires = Date.parse(data.expires_at);
      stale(false);
      // Texts are written only when they change: the live regions then speak only of something new.
      put(count.querySelector("#signin-n"), "已签到 " + data.count + " 人");
      put(count.querySelector("#signin-of"), "（参加人员名单 " + data.roster + " 人）");
      put(names, data.signed.map(function (s) { return s.name + " " + s.at; }).join("、"));
      put(renew, "二维码每 30 秒自动更新，截图转发无效。");
    }).catch(function () {
      if (Date.now() >= expires) stale(true);
      else put(renew, "二维码未能更新，请检查网络。");
    });
  }
  window.setInterval(refresh, 30000);

  var full = document.getElementById("signin-full");
  if (full && box.requestFullscreen) {
    // The same button leaves full screen (Esc does too): its label says which.
    full.addEventListener("click", function () {
      if (document.fullscreenElement) document.exitFullscreen(); else box.requestFullscreen();
    });
    document.addEventListener("fullscreenchange", function () {
      full.textContent = document.fullscreenElement ? "退出全屏" : "全屏显示";
    });
  } else if (full) {
    full.hidden = true;
  }
})();
