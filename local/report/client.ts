/**
 * The report page's own script: a crosshair shared by every chart, a tooltip with the values at the
 * minute under the pointer and the alerts sent then, and highlighting of one series (legend) or one
 * notification (table row) across all charts. The charts are complete without it.
 *
 * Kept as source text, not a compiled function, so what runs in the browser is exactly this (coverage
 * instrumentation or a bundler would otherwise rewrite a function's body). It reads the record only
 * through `textContent` and writes with `textContent`: nothing from the record becomes markup.
 */
export const CLIENT_SCRIPT = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('vigil-data').textContent);
  var tip = document.getElementById('tip');
  var charts = Array.prototype.slice.call(document.querySelectorAll('svg.chart'));
  var span = data.to - data.from;

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function duration(minutes) {
    var d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60, out = '';
    if (d) out += d + 'd';
    if (h) out += h + 'h';
    if (m || !out) out += m + 'm';
    return out;
  }
  function relative(t) {
    var m = Math.round((t - data.onset) / 60000);
    return m === 0 ? 'onset' : (m > 0 ? '+' : '\\u2212') + duration(Math.abs(m));
  }
  function clock(t) { var d = new Date(t); return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ' UTC'; }
  function bytes(v) {
    var units = [['Ti', 1099511627776], ['Gi', 1073741824], ['Mi', 1048576], ['Ki', 1024]];
    for (var i = 0; i < units.length; i++) if (Math.abs(v) >= units[i][1]) return +(v / units[i][1]).toFixed(1) + units[i][0];
    return v + 'B';
  }
  function format(v, unit) {
    if (unit === 'pct') return +v.toFixed(v < 10 && v !== 0 ? 1 : 0) + '%';
    if (unit === 'bytes') return bytes(v);
    return String(+v.toFixed(1));
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // The time under the pointer, or null outside the plot area.
  function timeAt(svg, evt) {
    var ctm = svg.getScreenCTM();
    if (!ctm) return null;
    var pt = svg.createSVGPoint();
    pt.x = evt.clientX;
    pt.y = evt.clientY;
    var p = pt.matrixTransform(ctm.inverse());
    var x0 = +svg.getAttribute('data-x0'), w = +svg.getAttribute('data-w');
    if (p.x < x0 || p.x > x0 + w) return null;
    return data.from + ((p.x - x0) / w) * span;
  }

  function moveCrosshairs(t) {
    charts.forEach(function (svg) {
      var line = svg.querySelector('.crosshair');
      if (!line) return;
      if (t === null) { line.classList.remove('on'); return; }
      var x = +svg.getAttribute('data-x0') + ((t - data.from) / span) * +svg.getAttribute('data-w');
      line.setAttribute('x1', x);
      line.setAttribute('x2', x);
      line.classList.add('on');
    });
  }

  function fill(chart, t) {
    while (tip.firstChild) tip.removeChild(tip.firstChild);
    var i = Math.round((t - data.t0) / data.step);
    var at = data.t0 + i * data.step;
    tip.appendChild(el('div', 'tip-time', relative(at) + ' \\u00b7 ' + clock(at) + (data.step > 60000 ? ' \\u00b7 max over ' + duration(data.step / 60000) : '')));
    var spec = data.charts[chart];
    if (spec && spec.series) {
      var rows = spec.series
        .map(function (s) { return { s: s, v: s.v[i] }; })
        .filter(function (r) { return r.v !== null && r.v !== undefined; })
        .sort(function (a, b) { return b.v - a.v; });
      var list = el('table', 'tip-values');
      rows.slice(0, 12).forEach(function (r) {
        var tr = el('tr', r.s.f ? 'faded' : '');
        var sw = el('td'); var chip = el('span', 'chip'); chip.style.background = r.s.c; sw.appendChild(chip);
        tr.appendChild(sw);
        tr.appendChild(el('td', 'name', r.s.n));
        tr.appendChild(el('td', 'num', format(r.v, spec.unit)));
        list.appendChild(tr);
      });
      if (rows.length > 12) { var more = el('tr'); var td = el('td', 'more', '\\u2026 ' + (rows.length - 12) + ' more'); td.colSpan = 3; more.appendChild(td); list.appendChild(more); }
      if (!rows.length) tip.appendChild(el('div', 'more', 'no data at this minute'));
      else tip.appendChild(list);
    } else if (spec && spec.lanes) {
      var lanes = el('table', 'tip-values');
      spec.lanes.forEach(function (lane) {
        var seg = lane.s.filter(function (s) { return s[0] <= t && t < s[1]; })[0];
        if (!seg) return;
        var tr = el('tr');
        tr.appendChild(el('td', 'name', lane.n));
        tr.appendChild(el('td', 'state', seg[2]));
        lanes.appendChild(tr);
      });
      if (lanes.firstChild) tip.appendChild(lanes);
    }
    var near = data.alerts.filter(function (a) { return Math.abs(a.t - at) < data.step / 2 + 30000; });
    near.slice(0, 6).forEach(function (a) {
      tip.appendChild(el('div', 'tip-alert sev-' + a.s, (a.p === 'firing' ? '\\u25bc ' : '\\u25cb ') + a.p + ' ' + a.s + ' \\u00b7 ' + a.r + ': ' + a.m));
    });
    if (near.length > 6) tip.appendChild(el('div', 'more', '\\u2026 ' + (near.length - 6) + ' more notifications'));
  }

  function place(evt) {
    tip.hidden = false;
    var r = tip.getBoundingClientRect();
    var x = evt.clientX + 16, y = evt.clientY + 16;
    if (x + r.width > window.innerWidth - 8) x = Math.max(8, evt.clientX - r.width - 16);
    if (y + r.height > window.innerHeight - 8) y = Math.max(8, evt.clientY - r.height - 16);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }

  charts.forEach(function (svg) {
    svg.addEventListener('mousemove', function (evt) {
      var t = timeAt(svg, evt);
      moveCrosshairs(t);
      if (t === null) { tip.hidden = true; return; }
      fill(svg.getAttribute('data-chart'), t);
      place(evt);
    });
    svg.addEventListener('mouseleave', function () { moveCrosshairs(null); tip.hidden = true; });
  });

  // One series, or one notification, stands out in every chart while the pointer is on its name.
  function highlight(attr, value, on) {
    document.body.classList.toggle('focus', on);
    Array.prototype.forEach.call(document.querySelectorAll('[' + attr + ']'), function (e) {
      if (e.getAttribute(attr) === value) e.classList.toggle('hl', on);
    });
  }
  function hover(selector, attr) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), function (e) {
      var v = e.getAttribute(attr);
      e.addEventListener('mouseenter', function () { highlight(attr, v, true); });
      e.addEventListener('mouseleave', function () { highlight(attr, v, false); });
    });
  }
  hover('.legend [data-k]', 'data-k');
  hover('tr[data-a]', 'data-a');

  document.documentElement.setAttribute('data-ready', String(charts.length));
})();`;
