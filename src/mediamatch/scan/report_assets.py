"""The case report's inline style and script (the report loads nothing from anywhere)."""

from __future__ import annotations

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1,h2,h3{font-weight:600}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}
.notice{background:#fff4d6;border:1px solid #e0c060;padding:.6em 1em;max-width:60em}
.cards{display:flex;flex-wrap:wrap;gap:1em}
.card{background:#fff;border:1px solid #ccc;padding:.6em;width:22em}
.card code,.card .path{word-break:break-all;font-size:12px}
figure.thumb{margin:0 0 .4em 0;width:160px}
figure.thumb img{display:block;width:160px;height:160px;object-fit:contain;background:#ddd;
  filter:blur(12px) grayscale(1);image-rendering:auto}
figure.thumb img.revealed{filter:none}
figure.thumb .none{width:160px;height:160px;background:#ddd;display:flex;align-items:center;
  justify-content:center;color:#555}
@media print{figure.thumb img,figure.thumb img.revealed{filter:blur(12px) grayscale(1)}}
.A1,.A2{border-left:6px solid #b00}
.B1,.B2{border-left:6px solid #d70}.unclassified{border-left:6px solid #777}
"""

SCRIPT = """
(function () {
  var clear = JSON.parse(document.getElementById('clear-thumbnails').textContent);
  function veil(img) {
    img.src = img.dataset.veiled;
    img.classList.remove('revealed');
    var button = img.parentNode.querySelector('button.reveal');
    if (button) { button.textContent = 'Reveal'; }
  }
  function veilAll() {
    document.querySelectorAll('figure.thumb img.revealed').forEach(veil);
  }
  document.querySelectorAll('figure.thumb button.reveal').forEach(function (button) {
    button.addEventListener('click', function (event) {
      if (!event.isTrusted) { return; }
      var img = button.parentNode.querySelector('img');
      var wasRevealed = img.classList.contains('revealed');
      veilAll();
      if (!wasRevealed) {
        img.src = clear[img.dataset.stack];
        img.classList.add('revealed');
        button.textContent = 'Veil';
      }
    });
  });
  var all = document.getElementById('veil-all');
  if (all) { all.addEventListener('click', veilAll); }
})();
"""
