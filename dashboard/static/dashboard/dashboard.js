/* The officers' dashboard: fetches the report endpoints (same origin, the session cookie)
   and draws each as plain HTML bars and a table whose numbers are text.
   No library and no external asset: the province network may have no internet. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("dashboard-config").textContent);
  var T = config.text;
  var MAX_BARS = 40; // bars per chart; the table below always has every row
  var TARGET_ROWS = 10; // "furthest from their targets": the ten largest gaps

  // ---- formatting: 206.100.672 ₫, 12,3 %, dd/mm/yyyy (the same in both languages) ----
  function group(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }
  function formatInteger(v) {
    var n = Math.round(Number(v));
    return (n < 0 ? "-" : "") + group(String(Math.abs(n)));
  }
  function formatDecimal(v) {
    var parts = String(v).split(".");
    var head = parts[0].replace("-", "");
    return (String(v).charAt(0) === "-" ? "-" : "") + group(head) + (parts[1] ? "," + parts[1] : "");
  }
  function formatRate(v) {
    return (Number(v) * 100).toFixed(1).replace(".", ",") + " %";
  }
  function formatDate(v) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(v));
    return m ? m[3] + "/" + m[2] + "/" + m[1] : String(v);
  }
  function format(value, type, key) {
    if (value === null || value === undefined || value === "") return "—";
    if (key === "year") return String(value); // a year, not a quantity: 2026, not 2.026
    switch (type) {
      case "money": return formatInteger(value) + " ₫";
      case "integer": return formatInteger(value);
      case "rate": return formatRate(value);
      case "decimal": return formatDecimal(value);
      case "date": return formatDate(value);
      default: return String(value);
    }
  }

  // ---- URLs ----
  function url(path, params) {
    var query = Object.keys(params)
      .filter(function (k) { return params[k] !== "" && params[k] !== null && params[k] !== undefined; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); })
      .join("&");
    return config.api + path + (query ? "?" + query : "");
  }
  function common(extra) {
    var params = { commune: config.commune, standard: config.standard };
    Object.keys(extra).forEach(function (k) { params[k] = extra[k]; });
    return params;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function getJSON(address) {
    return fetch(address, {
      credentials: "same-origin",
      headers: { Accept: "application/json", "Accept-Language": config.language },
    }).then(function (response) {
      if (!response.ok) {
        var error = new Error(String(response.status));
        error.status = response.status;
        throw error;
      }
      return response.json();
    });
  }

  // ---- drawing ----
  function labelColumns(columns) {
    return columns.filter(function (c) {
      return c.key.indexOf("__") < 0 && (c.type === "text" || c.type === "date" || c.key === "year");
    });
  }
  // A bar's label: the names (commune, village, indicator) and the year, else the text columns.
  function rowLabel(row, columns) {
    var named = columns.filter(function (c) { return /_name$/.test(c.key) || c.key === "year"; });
    return (named.length ? named : labelColumns(columns))
      .filter(function (c) { return row[c.key] !== null && row[c.key] !== undefined && row[c.key] !== ""; })
      .map(function (c) { return format(row[c.key], c.type, c.key); })
      .join(" · ");
  }

  // Codes beside their names (commune, village, indicator) stay out of the table: the
  // name is what an officer reads; the exports keep both.
  function shownColumns(columns) {
    var keys = columns.map(function (c) { return c.key; });
    return columns.filter(function (c) { return keys.indexOf(c.key + "_name") < 0; });
  }

  // The cell's class: numbers align right; a year is a label, not a quantity.
  function kindOf(column) {
    return column.key === "year" ? "text" : column.type;
  }

  function drawTable(section, allColumns, rows, total, source) {
    var columns = shownColumns(allColumns);
    var wrap = section.querySelector(".table-wrap");
    wrap.textContent = "";
    var table = el("table", { "data-source": source });
    var head = el("tr");
    columns.forEach(function (c) {
      head.appendChild(el("th", { scope: "col", "data-col": c.key, class: kindOf(c) }, c.label));
    });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    rows.forEach(function (row) {
      var tr = body.appendChild(el("tr"));
      columns.forEach(function (c) {
        tr.appendChild(el("td", { "data-col": c.key, class: kindOf(c) }, format(row[c.key], c.type, c.key)));
      });
    });
    if (total) {
      var foot = table.appendChild(el("tfoot")).appendChild(el("tr", { class: "total" }));
      columns.forEach(function (c, i) {
        var value = total[c.key];
        var text = value !== null && value !== undefined ? format(value, c.type, c.key) : i === 0 ? T.total : "";
        foot.appendChild(el("td", { "data-col": c.key, class: kindOf(c) }, text));
      });
    }
    wrap.appendChild(table);
  }

  // Horizontal bars: one group per row, one bar per series, scaled to the largest value.
  function drawBars(section, series, rows, labelOf) {
    var chart = section.querySelector(".chart");
    chart.textContent = "";
    if (!series.length || !rows.length) return;
    var legend = chart.appendChild(el("ul", { class: "legend" }));
    series.forEach(function (s, i) {
      var item = legend.appendChild(el("li"));
      item.appendChild(el("span", { class: "swatch s" + (i % 6) }));
      item.appendChild(document.createTextNode(s.label));
    });
    var max = 0;
    rows.slice(0, MAX_BARS).forEach(function (row) {
      series.forEach(function (s) { max = Math.max(max, Number(row[s.key]) || 0); });
    });
    rows.slice(0, MAX_BARS).forEach(function (row) {
      var group = chart.appendChild(el("div", { class: "bar-group" }));
      group.appendChild(el("div", { class: "bar-label" }, labelOf(row)));
      series.forEach(function (s, i) {
        var value = Number(row[s.key]) || 0;
        var line = group.appendChild(el("div", { class: "bar-line" }));
        var bar = line.appendChild(el("div", { class: "bar s" + (i % 6) }));
        bar.style.width = (max > 0 ? (100 * value) / max : 0).toFixed(2) + "%";
        line.appendChild(el("span", { class: "bar-value" }, format(row[s.key], s.type)));
      });
    });
  }

  function message(section, text, kind) {
    section.querySelector(".chart").textContent = "";
    var wrap = section.querySelector(".table-wrap");
    wrap.textContent = "";
    wrap.appendChild(el("p", { class: "message " + (kind || "") }, text));
  }

  function drawEnvelope(section, data, source, options) {
    var opts = options || {};
    if (data.definition) section.querySelector(".definition p").textContent = data.definition;
    var rows = opts.rows ? opts.rows(data.rows, data.columns) : data.rows;
    if (!rows.length) {
      message(section, T.empty);
      return;
    }
    var series = data.columns
      .filter(opts.series || function (c) { return c.type === "rate"; })
      // Bars only for series with something to show (the table has every column).
      .filter(function (c) {
        return rows.some(function (r) { return Number(r[c.key]) > 0; });
      });
    drawBars(section, series, rows, function (row) { return rowLabel(row, data.columns); });
    drawTable(section, data.columns, rows, opts.noTotal ? null : data.total, source);
  }

  function load(section, address, draw) {
    message(section, T.loading, "loading");
    section.setAttribute("aria-busy", "true");
    return getJSON(address)
      .then(function (data) { draw(data, address); })
      .catch(function (error) {
        message(section, error.status === 404 ? T.unavailable : T.error, "error");
      })
      .then(function () {
        section.setAttribute("aria-busy", "false");
        section.setAttribute("data-loaded", "true");
      });
  }

  // ---- the five figures ----
  function ratesOverTime() {
    var section = document.getElementById("rates-over-time");
    var address = url("reports/poverty-rates/", common({
      group_by: "year", year_from: config.year_from, year_to: config.year,
    }));
    return load(section, address, function (data, source) { drawEnvelope(section, data, source); });
  }

  function ratesByCommune() {
    var section = document.getElementById("rates-by-commune");
    var address = url("reports/poverty-rates/", common({ group_by: "commune", as_of: config.as_of }));
    return load(section, address, function (data, source) { drawEnvelope(section, data, source); });
  }

  function deprivationProfile() {
    var section = document.getElementById("deprivation-profile");
    var address = url("reports/deprivation-profile/", common({ as_of: config.as_of }));
    return load(section, address, function (data, source) {
      // The bars: the share of the assessed households deprived, per standard (the table
      // has the share among the poor too).
      var first = {};
      drawEnvelope(section, data, source, {
        series: function (c) {
          var standard = c.key.split("__")[1];
          if (c.type !== "rate" || first[standard]) return false;
          first[standard] = true;
          return true;
        },
      });
    });
  }

  function budgetExecution() {
    var section = document.getElementById("budget-execution");
    var params = { group_by: "commune", year: config.year, commune: config.commune };
    var address = url("reports/budget-execution/", params);
    var columns = [
      { key: "key", label: T.commune, type: "text" },
      { key: "allocated", label: T.allocated, type: "money" },
      { key: "committed", label: T.committed, type: "money" },
      { key: "disbursed", label: T.disbursed, type: "money" },
      { key: "available", label: T.available, type: "money" },
    ];
    return load(section, address, function (data, source) {
      // Keys are commune codes, or "province NN" for a province's own allocations.
      var rows = (Array.isArray(data) ? data : data.rows).map(function (r) {
        var row = Object.assign({}, r);
        row.key = r.name || config.communes[r.key] || (/^province /.test(r.key) ? T.province_wide : r.key);
        return row;
      });
      if (!rows.length) {
        message(section, T.empty);
        return;
      }
      var total = { key: T.total };
      columns.slice(1).forEach(function (c) {
        total[c.key] = rows.reduce(function (sum, r) { return sum + (Number(r[c.key]) || 0); }, 0);
      });
      drawBars(section, columns.slice(1, 4), rows, function (row) { return row.key; });
      drawTable(section, columns, rows, rows.length > 1 ? total : null, source);
    });
  }

  function gapColumn(columns) {
    var found = columns.filter(function (c) { return /(^|_)gap(__|$)/.test(c.key); });
    return found.length ? found[0] : null;
  }

  function targetGaps() {
    var section = document.getElementById("target-gaps");
    var address = url("reports/target-progress/", common({ year: config.year }));
    return load(section, address, function (data, source) {
      var gap = gapColumn(data.columns);
      drawEnvelope(section, data, source, {
        noTotal: true,
        // The largest gaps first: the communes (and villages) furthest from their targets.
        rows: function (rows) {
          if (!gap) return rows.slice(0, TARGET_ROWS);
          return rows
            .slice()
            .sort(function (a, b) { return (Number(b[gap.key]) || 0) - (Number(a[gap.key]) || 0); })
            .slice(0, TARGET_ROWS);
        },
        series: function (c) { return gap ? c.key === gap.key : c.type === "rate"; },
      });
    });
  }

  // One report at a time, in the page's order: the first figures come as fast, and a page
  // opened by many officers at once asks the server for one aggregate at a time each
  // (the live test server's in-memory SQLite also takes one at a time).
  [ratesOverTime, ratesByCommune, deprivationProfile, budgetExecution, targetGaps].reduce(
    function (previous, next) { return previous.then(next); },
    Promise.resolve()
  );
})();
