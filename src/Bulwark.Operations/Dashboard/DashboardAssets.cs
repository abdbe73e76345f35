namespace Bulwark.Operations.Dashboard;

/// <summary>
/// The dashboard's stylesheet and script. The daemon serves them as files (its Content-Security-Policy allows no
/// inline script or style); a static page carries the stylesheet inline and no script.
/// </summary>
public static class DashboardAssets
{
    public const string StylesheetPath = "/dashboard.css";
    public const string ScriptPath = "/dashboard.js";
    public const string IconPath = "/favicon.svg";

    /// <summary>A shield, so that browsers find an icon and a tab is told apart.</summary>
    public const string Icon =
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><path fill=\"#0969da\" d=\"M8 1l6 2v4c0 4-3 7-6 8-3-1-6-4-6-8V3z\"/></svg>";

    /// <summary>Light and dark colours (prefers-color-scheme); states are also told by their label and symbol.</summary>
    public const string Stylesheet = """
        :root { color-scheme: light dark; --bg: #fff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --panel: #f6f8fa;
          --ok: #1a7f37; --warning: #9a6700; --critical: #cf222e; --unknown: #8250df; --accent: #0969da; --bar: #54aeff; }
        @media (prefers-color-scheme: dark) {
          :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --panel: #161b22;
            --ok: #3fb950; --warning: #d29922; --critical: #f85149; --unknown: #a371f7; --accent: #4493f8; --bar: #1f6feb; }
        }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.45 system-ui, sans-serif; }
        header, main { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
        header { padding-top: 1rem; }
        h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
        h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
        h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
        p, dl { margin: .25rem 0; }
        .muted, figcaption { color: var(--muted); }
        table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; margin: .25rem 0 .75rem; }
        th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-weight: 600; }
        td.num, th.num { text-align: right; }
        .state { font-weight: 700; white-space: nowrap; }
        .state-ok { color: var(--ok); } .state-warning { color: var(--warning); }
        .state-critical { color: var(--critical); } .state-unknown { color: var(--unknown); }
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 1rem; }
        figure h3 { margin: 0 0 .25rem; font-size: .95rem; }
        figure { margin: 0; padding: .5rem; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
        svg.chart { width: 100%; height: auto; display: block; }
        svg.chart text { fill: var(--muted); font-size: 11px; }
        svg.chart .axis line { stroke: var(--line); }
        svg.chart .line { fill: none; stroke: var(--accent); stroke-width: 1.5; }
        svg.chart .mark.dots { fill: none; stroke: var(--accent); stroke-width: 6; stroke-linecap: round; }
        svg.chart .mark.bars { fill: none; stroke: var(--bar); }
        svg.chart .mark.pass { fill: none; stroke: var(--ok); stroke-width: 10; stroke-linecap: round; }
        svg.chart .mark.fail { fill: none; stroke: var(--critical); stroke-width: 2.5; }
        details { margin: .25rem 0; } summary { cursor: pointer; color: var(--accent); }
        tr.going td { color: var(--muted); text-decoration: line-through; }
        tr.going td.decision { text-decoration: none; }
        .meter { display: block; width: 100%; max-width: 24rem; height: .6rem; }
        .meter rect.track { fill: var(--line); } .meter rect.fill { fill: var(--accent); }
        .meter line { stroke: var(--fg); stroke-width: 2; }
        body.stale header::after { content: "refresh failed: showing the last page received"; color: var(--critical); }
        """;

    /// <summary>Replaces the page's content with a fresh copy every refresh interval, without a full reload.</summary>
    public const string Script = """
        // Bulwark dashboard: fetches the page again every data-refresh seconds and swaps in its content.
        (function () {
          'use strict';
          var main = document.getElementById('dashboard');
          if (!main) return;
          var seconds = parseInt(main.getAttribute('data-refresh'), 10) || 60;
          function refresh() {
            fetch(window.location.pathname, { credentials: 'same-origin', cache: 'no-store' })
              .then(function (response) {
                if (!response.ok) throw new Error('HTTP ' + response.status);
                return response.text();
              })
              .then(function (html) {
                var next = new DOMParser().parseFromString(html, 'text/html').getElementById('dashboard');
                if (next) document.getElementById('dashboard').replaceWith(document.adoptNode(next));
                document.body.classList.remove('stale');
              })
              .catch(function () { document.body.classList.add('stale'); })
              .then(function () { window.setTimeout(refresh, seconds * 1000); });
          }
          window.setTimeout(refresh, seconds * 1000);
        })();
        """;
}
