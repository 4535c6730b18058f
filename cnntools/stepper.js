// The book's step-through widgets (cnntools/interactive.py). Every number shown comes from torch, in `data`;
// this script only animates them, and logs a console error if its own recomputation ever disagrees.
function cnnStepper(root, data) {
  "use strict";
  var fmt = function (v) { return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100); };
  var same = function (a, b) { return Math.abs(a - b) < 1e-9; };
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function grid(rows, cols, title) {   // a table of cells; returns {box, cells[r][c]}
    var box = el("div", "cnnstep-panel"), table = el("table", "cnnstep-grid"), cells = [];
    box.appendChild(el("div", "cnnstep-title", title));
    table.setAttribute("aria-label", title);
    for (var r = 0; r < rows; r++) {
      var tr = el("tr"), row = [];
      for (var c = 0; c < cols; c++) { var td = el("td"); tr.appendChild(td); row.push(td); }
      table.appendChild(tr); cells.push(row);
    }
    box.appendChild(table);
    return {box: box, cells: cells};
  }
  function select(label, values, onchange) {
    var wrap = el("label", "cnnstep-control", label + " "), s = el("select");
    values.forEach(function (v) { var o = el("option", null, String(v)); o.value = String(v); s.appendChild(o); });
    s.addEventListener("change", onchange);
    wrap.appendChild(s);
    return {wrap: wrap, input: s};
  }
  function button(text, onclick) { var b = el("button", "cnnstep-button", text); b.type = "button"; b.addEventListener("click", onclick); return b; }

  var controls = el("div", "cnnstep-controls"), stage = el("div", "cnnstep-stage");
  var status = el("div", "cnnstep-status"), detail = el("div", "cnnstep-detail");
  // Read out each step's position and sum to screen-reader users as it changes.
  status.setAttribute("role", "status"); detail.setAttribute("aria-live", "polite");
  root.appendChild(controls); root.appendChild(stage); root.appendChild(status); root.appendChild(detail);
  var frame = 0, frames = 0, timer = null, draw = null, build = null;

  function show(f) { frame = Math.max(0, Math.min(frames, f)); draw(); root.dataset.frame = String(frame); }
  function stop() { if (timer) { clearInterval(timer); timer = null; play.textContent = "play"; } }
  var play = button("play", function () {
    if (timer) { stop(); return; }
    if (frame >= frames) show(0);
    play.textContent = "pause";
    timer = setInterval(function () { if (frame >= frames) stop(); else show(frame + 1); }, 900);
  });
  var selects = [];
  function rebuild() { stop(); build(); show(0); }

  if (root.dataset.kind === "conv") {
    var x = data.x, w = data.w, n = x.length, k = w.length;
    selects = [select("stride", data.strides, rebuild), select("padding", data.paddings, rebuild),
               select("dilation", data.dilations, rebuild)];
    var input, kernel, output, out, s, p, d, W2, H2;
    build = function () {
      s = +selects[0].input.value; p = +selects[1].input.value; d = +selects[2].input.value;
      out = data.outputs[s + "," + p + "," + d];
      stage.textContent = "";
      if (!out) { frames = 0; draw = function () { status.textContent = "this filter does not fit: choose a smaller dilation"; detail.textContent = ""; }; return; }
      var span = d * (k - 1) + 1;
      W2 = Math.floor((n + 2 * p - span) / s) + 1; H2 = W2;
      if (out.length !== H2 || out[0].length !== W2) console.error("cnnStepper: output size differs from torch's");
      frames = H2 * W2;
      input = grid(n + 2 * p, n + 2 * p, "input, padded by " + p);
      kernel = grid(k, k, "filter");
      output = grid(H2, W2, "output " + H2 + "×" + W2);
      [input, kernel, output].forEach(function (g) { stage.appendChild(g.box); });
      for (var r = 0; r < n + 2 * p; r++) for (var c = 0; c < n + 2 * p; c++) {
        var inside = r >= p && r < n + p && c >= p && c < n + p;
        input.cells[r][c].textContent = inside ? fmt(x[r - p][c - p]) : "0";
        input.cells[r][c].className = inside ? "cnnstep-in" : "cnnstep-pad";
      }
      for (r = 0; r < k; r++) for (c = 0; c < k; c++) { kernel.cells[r][c].textContent = fmt(w[r][c]); kernel.cells[r][c].className = "cnnstep-w"; }
      status.dataset.size = "W2 = floor((" + n + " + 2·" + p + " − " + span + ") / " + s + ") + 1 = " + W2;
    };
    draw = function () {
      var cur = frame - 1, i = Math.floor(cur / W2), j = cur % W2, r, c;
      for (r = 0; r < H2; r++) for (c = 0; c < W2; c++) {
        var t = r * W2 + c, cell = output.cells[r][c];
        cell.textContent = t < frame ? fmt(out[r][c]) : "";
        cell.className = t === cur ? "cnnstep-out cnnstep-now" : (t < frame ? "cnnstep-out" : "cnnstep-empty");
      }
      for (r = 0; r < n + 2 * p; r++) for (c = 0; c < n + 2 * p; c++) input.cells[r][c].classList.remove("cnnstep-tap");
      if (frame === 0) {
        status.textContent = "output width " + status.dataset.size + ", and as many rows: press step or play";
        detail.textContent = "";
        return;
      }
      var terms = [], sum = 0;
      for (var a = 0; a < k; a++) for (var b = 0; b < k; b++) {
        r = i * s + a * d; c = j * s + b * d;
        input.cells[r][c].classList.add("cnnstep-tap");
        var v = (r >= p && r < n + p && c >= p && c < n + p) ? x[r - p][c - p] : 0;
        sum += v * w[a][b];
        terms.push(fmt(v) + "·" + (w[a][b] < 0 ? "(" + fmt(w[a][b]) + ")" : fmt(w[a][b])));
      }
      if (!same(sum, out[i][j])) console.error("cnnStepper: multiply-adds give " + sum + ", torch " + out[i][j]);
      status.textContent = "position " + frame + " of " + frames + ": output row " + i + ", column " + j +
        " (window starts at row " + i * s + ", column " + j * s + " of the padded input)";
      detail.textContent = terms.join(" + ") + " = " + fmt(out[i][j]);
    };
  } else {
    var X = data.x, N = X.length, res, pool, up, dx, acc, ks, ss, M;
    selects = [select("window, stride", data.settings.map(function (v) { return v[0] + "×" + v[0] + ", " + v[1]; }), rebuild)];
    selects[0].input.querySelectorAll("option").forEach(function (o, i) { o.value = data.settings[i].join(","); });
    build = function () {
      res = data.results[selects[0].input.value];
      ks = +selects[0].input.value.split(",")[0]; ss = +selects[0].input.value.split(",")[1];
      M = res.out.length; frames = M * M;
      stage.textContent = "";
      pool = grid(N, N, "forward input X"); up = grid(M, M, "upstream ∂L/∂O"); dx = grid(N, N, "∂L/∂X so far");
      [pool, up, dx].forEach(function (g) { stage.appendChild(g.box); });
    };
    draw = function () {
      var cur = frame - 1, i = Math.floor(cur / M), j = cur % M, r, c, t;
      acc = X.map(function (row) { return row.map(function () { return 0; }); });
      for (t = 0; t < frame; t++) {
        var idx = res.argmax[Math.floor(t / M)][t % M];
        acc[Math.floor(idx / N)][idx % N] += res.upstream[Math.floor(t / M)][t % M];
      }
      for (r = 0; r < N; r++) for (c = 0; c < N; c++) {
        var inWin = frame > 0 && r >= i * ss && r < i * ss + ks && c >= j * ss && c < j * ss + ks;
        pool.cells[r][c].textContent = fmt(X[r][c]);
        pool.cells[r][c].className = inWin ? "cnnstep-in cnnstep-tap" : "cnnstep-in";
        dx.cells[r][c].textContent = fmt(acc[r][c]);
        dx.cells[r][c].className = acc[r][c] !== 0 ? "cnnstep-grad" : "cnnstep-empty";
      }
      for (r = 0; r < M; r++) for (c = 0; c < M; c++) {
        up.cells[r][c].textContent = fmt(res.upstream[r][c]);
        up.cells[r][c].className = r * M + c === cur ? "cnnstep-grad cnnstep-now" : (r * M + c < frame ? "cnnstep-grad" : "cnnstep-empty");
      }
      if (frame === frames) {
        for (r = 0; r < N; r++) for (c = 0; c < N; c++)
          if (!same(acc[r][c], res.dx[r][c])) console.error("cnnStepper: routed gradient differs from autograd's");
      }
      if (frame === 0) { status.textContent = frames + " windows, in " + M + " rows of " + M + ": press step or play"; detail.textContent = ""; return; }
      var win = res.argmax[i][j], wr = Math.floor(win / N), wc = win % N;
      if (!same(X[wr][wc], res.out[i][j])) console.error("cnnStepper: the routed position does not hold the maximum");
      pool.cells[wr][wc].classList.add("cnnstep-now");
      dx.cells[wr][wc].classList.add("cnnstep-now");
      status.textContent = "window " + frame + " of " + frames + " (row " + i + ", column " + j + "): its maximum " +
        fmt(res.out[i][j]) + " sits at X[" + wr + "][" + wc + "]";
      detail.textContent = "∂L/∂X[" + wr + "][" + wc + "] += " + fmt(res.upstream[i][j]) + "  →  " + fmt(acc[wr][wc]) +
        (frame === frames ? "   (all windows done: equal to autograd's ∂L/∂X)" : "");
    };
  }
  selects.forEach(function (sel) { controls.appendChild(sel.wrap); });
  controls.appendChild(button("◀ back", function () { stop(); show(frame - 1); }));
  controls.appendChild(button("step ▶", function () { stop(); show(frame + 1); }));
  controls.appendChild(play);
  controls.appendChild(button("reset", function () { stop(); show(0); }));
  rebuild();
}
