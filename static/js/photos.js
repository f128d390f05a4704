// Photos from a phone (3-8 MB each) are shrunk in the page before they are sent: drawn upright on a canvas at
// most data-long-side pixels on the long side and saved as JPEG. The server checks and shrinks them again; this
// only keeps the upload small on a weak connection and within the form's limits. A GIF, or anything the browser
// cannot draw, goes as it is.
(function () {
  function shrink(file, longSide) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, longSide / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.size <= 2 * 1024 * 1024) {
        bitmap.close();
        return file;  // already small: sent as it is (a screenshot keeps its PNG)
      }
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // transparency over white, as it prints
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob) { resolve(file); return; }
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified }));
        }, "image/jpeg", 0.88);
      });
    }).catch(function () { return file; });
  }

  function megabytes(bytes) { return (bytes / 1024 / 1024).toFixed(1) + " MB"; }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-shrink]") || !window.DataTransfer) return;
    var form = input.form;
    var status = document.getElementById(input.getAttribute("aria-describedby").split(" ")[0]);
    var button = form.querySelector("button[type=submit]");
    var files = Array.prototype.slice.call(input.files);
    if (!files.length) return;
    var before = files.reduce(function (sum, f) { return sum + f.size; }, 0);
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    status.textContent = "正在压缩 " + files.length + " 张照片（" + megabytes(before) + "）……";
    var longSide = parseInt(input.getAttribute("data-shrink"), 10) || 1600;
    Promise.all(files.map(function (f) { return shrink(f, longSide); })).then(function (shrunk) {
      var transfer = new DataTransfer();
      shrunk.forEach(function (f) { transfer.items.add(f); });
      input.files = transfer.files;
      var after = shrunk.reduce(function (sum, f) { return sum + f.size; }, 0);
      status.textContent = "已选 " + shrunk.length + " 张照片，压缩后共 " + megabytes(after) + "（原 " + megabytes(before) + "）。";
    }).finally(function () {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    });
  });
})();
