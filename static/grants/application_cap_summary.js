// The running total of the selections inline against the cap, recomputed as amounts are typed or
// rows are marked for deletion. The server checks the cap again under a lock on save. An application
// that cannot be edited has no amount inputs: its server-rendered figures stand as they are.
(function () {
  const summary = document.getElementById("sc-cap-summary");
  if (!summary || !document.querySelector("input.sc-selection-amount")) return;
  const cap = parseFloat(summary.dataset.cap);
  const greek = (document.documentElement.lang || "el").startsWith("el");
  const fmt = (n) => n.toLocaleString("el-GR", {minimumFractionDigits: 2, maximumFractionDigits: 2}) + " €";
  // A preview of grants.amounts.parse_typed_amount: «20.400,00», «20400.00» and «20,400.00» are the
  // same sum. Both separators: the last is the decimal mark; one separator, repeated: it groups
  // thousands; once: decimal before one or two digits, grouping before three unless it is the page's
  // decimal mark (then three decimals, refused).
  const pageMark = greek ? "," : ".";
  function amount(text) {
    const t = String(text).replace(/[\s\u00a0\u202f€]/g, "");
    if (!/^[0-9][0-9.,]*$/.test(t)) return NaN;
    const last = Math.max(t.lastIndexOf(","), t.lastIndexOf("."));
    if (last < 0) return parseFloat(t);
    const sep = t[last], tail = t.slice(last + 1);
    const both = t.includes(",") && t.includes(".");
    const once = t.indexOf(sep) === last;
    const decimal = both || (once && (tail.length <= 2 || sep === pageMark));
    if (decimal && (tail.length === 0 || tail.length > 2)) return NaN;
    const whole = decimal ? t.slice(0, last) : t;
    return parseFloat(whole.replace(/[.,]/g, "") + (decimal ? "." + tail : ""));
  }
  function recompute(event) {
    if (event && !event.target.closest("#selections-group")) return;
    let total = 0;
    document.querySelectorAll("input.sc-selection-amount").forEach(function (input) {
      const row = input.closest("tr");
      const del = row && row.querySelector("input[name$='-DELETE']");
      if (row && row.classList.contains("empty-form")) return;
      if (del && del.checked) return;
      const v = amount(input.value);
      if (!isNaN(v)) total += v;
    });
    document.getElementById("sc-running-total").textContent = fmt(total);
    const remaining = document.getElementById("sc-remaining");
    remaining.textContent = fmt(cap - total);
    remaining.style.color = total > cap ? "#ba2121" : "";
  }
  document.addEventListener("input", recompute);
  document.addEventListener("change", recompute);
})();
