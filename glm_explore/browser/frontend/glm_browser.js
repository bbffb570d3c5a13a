/* glm-explore genome browser: builds an igv.js browser from a view config written by
 * glm_explore.browser.igv.igv_config. Shared by the dashboard component (index.html) and the one-file
 * handout. Signal lanes travel compactly as {_values: {chr, start, step, values}} and are expanded here
 * into igv "wig" features; `genes` (upper-case name -> 1-based locus) backs the search box; `links`
 * (component only) add "open this region in …" links to feature pop-ups. */
(function () {
  "use strict";

  function expandTrack(t) {
    const c = Object.assign({}, t);
    if (c._values) {
      const v = c._values;
      delete c._values;
      const feats = [];
      for (let i = 0; i < v.values.length; i++) {
        const x = v.values[i];
        if (x === null || x === undefined) continue;
        const s = v.start + i * v.step;
        feats.push({chr: v.chr, start: s, end: s + v.step, value: x});
      }
      c.features = feats;
    }
    if (c.tracks) c.tracks = c.tracks.map(expandTrack);
    return c;
  }

  function igvConfig(cfg) {
    const c = Object.assign({}, cfg);
    delete c.genes;
    delete c.links;
    delete c.windowId;
    c.tracks = (cfg.tracks || []).map(expandTrack);
    return c;
  }

  function parseLocus(text) {
    const m = /^\s*([^:\s]+)\s*:\s*([\d,]+)\s*-\s*([\d,]+)\s*$/.exec(text || "");
    if (!m) return null;
    return {chr: m[1], start: parseInt(m[2].replace(/,/g, "")), end: parseInt(m[3].replace(/,/g, ""))};
  }

  function linkHtml(cfg, chr, start, end) {
    if (!cfg.links) return "";
    const mid = Math.floor((start + end) / 2);
    const around = (half) => `${chr}:${Math.max(1, mid - half + 1)}-${mid + half}`;
    const region = (max) => (end - start <= max ? `${chr}:${start + 1}-${end}` : around(max / 2));
    const q = (extra) => new URLSearchParams(Object.assign({}, cfg.links.shared, extra)).toString();
    const items = [
      ["Nucleotide logits", `${cfg.links.base}logits?${q({input: "Genome region", region: region(2000)})}`],
      ["Attribution", `${cfg.links.base}attribution?${q({region: region(200)})}`],
      ["Variant effects", `${cfg.links.base}variants?${q({region: `${chr}:${mid + 1}-${mid + 1}`})}`],
    ];
    return '<div class="glm-links">Open ' + `${chr}:${start + 1}-${end}` + " in: " +
      items.map(([label, href]) => `<a target="_top" href="${href}">${label}</a>`).join(" · ") + "</div>";
  }

  async function create(div, cfg, hooks) {
    hooks = hooks || {};
    const browser = await igv.createBrowser(div, igvConfig(cfg));
    const genes = cfg.genes || {};
    const original = browser.search.bind(browser);
    browser.search = async function (text) {
      const found = genes[(text || "").trim().toUpperCase()];
      const target = found || text;
      const loc = parseLocus(target);
      const chrs = browser.genome ? Array.from(browser.genome.chromosomes.keys()) : [];
      if (hooks.onOutside && (!loc || chrs.indexOf(loc.chr) < 0)) {  // other contigs: the server rebuilds the view
        hooks.onOutside(target);
        return true;
      }
      return original(target);
    };
    browser.on("trackclick", function (track, popoverData, gl) {
      if (!cfg.links || !popoverData || !popoverData.length) return undefined;
      let rows = popoverData.filter((d) => d && d.name).map((d) => `<div><b>${d.name}</b>: ${d.value}</div>`).join("");
      const loc = popoverData.find((d) => d && d.name && /^(Location|Position)$/i.test(d.name));
      let chr = browser.referenceFrameList[0].chr, start = Math.floor(gl), end = Math.floor(gl) + 1;
      const m = loc && /([^:\s]+):([\d,]+)-([\d,]+)/.exec(String(loc.value).replace(/<[^>]*>/g, ""));
      if (m) { chr = m[1]; start = parseInt(m[2].replace(/,/g, "")) - 1; end = parseInt(m[3].replace(/,/g, "")); }
      return rows + linkHtml(cfg, chr, start, end);
    });
    if (hooks.onLocus) {
      let timer = null;
      browser.on("locuschange", function () {
        clearTimeout(timer);
        timer = setTimeout(() => hooks.onLocus(browser.currentLoci()), 400);
      });
    }
    return browser;
  }

  window.glmBrowser = {create: create, igvConfig: igvConfig, parseLocus: parseLocus};
})();
