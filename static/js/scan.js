// Check-in by camera: read the booking's QR code with jsQR (vendored) and submit its code. jsQR (250 KB) is
// fetched only when scanning starts: most managers type the code, and the page loads without it.
(function () {
  var button = document.getElementById("scan-button");
  if (!button) return;
  var box = document.getElementById("scanner");
  var video = document.getElementById("scanner-video");
  var status = document.getElementById("scanner-status");
  var stop = document.getElementById("scan-stop");
  var input = document.getElementById("code");
  var form = document.getElementById("checkin-form");
  var canvas = document.createElement("canvas");
  var stream = null;

  function close() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    box.hidden = true;
  }

  function tick() {
    if (!stream) return;
    if (video.readyState === video.HAVE_ENOUGH_DATA) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      var ctx = canvas.getContext("2d");
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
      var found = window.jsQR && jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (found && found.data) {
        input.value = found.data.trim();
        status.textContent = "已识别签到码 " + input.value + "，正在签到…";
        close();
        form.submit();
        return;
      }
    }
    requestAnimationFrame(tick);
  }

  function withReader(then) {
    if (window.jsQR) return then();
    var script = document.createElement("script");
    script.src = button.getAttribute("data-jsqr");
    script.onload = then;
    script.onerror = function () { alert("扫码组件加载失败，请手动输入签到码。"); };
    document.head.appendChild(script);
  }

  button.addEventListener("click", function () {
    withReader(start);
  });

  function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      alert("此浏览器无法使用摄像头（需要 HTTPS），请手动输入签到码。");
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s;
      box.hidden = false;
      video.srcObject = s;
      video.play();
      requestAnimationFrame(tick);
    }).catch(function () {
      alert("无法打开摄像头，请检查权限，或手动输入签到码。");
    });
  }
  stop.addEventListener("click", close);
})();
