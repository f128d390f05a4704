// The members' sign-in QR code: a new link every 30 s (each lives about two minutes), with who has signed in.
(function () {
  var box = document.getElementById("signin-show");
  if (!box) return;
  var qr = document.getElementById("signin-qr");
  var count = document.getElementById("signin-count");
  var names = document.getElementById("signin-names");
  var renew = document.getElementById("signin-renew");
  var url = box.getAttribute("data-code-url");

  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (data) {
      qr.innerHTML = data.svg;
      count.textContent = "已签到 " + data.count + " 人（参加人员名单 " + data.roster + " 人）";
      names.textContent = data.signed.map(function (s) { return s.name + " " + s.at; }).join("、");
      renew.textContent = "二维码每 30 秒自动更新，截图转发无效。";
    }).catch(function () {
      renew.textContent = "二维码未能更新（网络中断或签到已结束），请点“刷新二维码”。";
    });
  }
  window.setInterval(refresh, 30000);

  var full = document.getElementById("signin-full");
  if (full && box.requestFullscreen) {
    full.addEventListener("click", function () { box.requestFullscreen(); });
  } else if (full) {
    full.hidden = true;
  }
})();
