/** /console/app.css: one small sheet, no web fonts, no images; series colours are classes k0…k6. */
export const CONSOLE_STYLE = `:root{--ink:#1d2430;--muted:#667085;--line:#e4e7ec;--accent:#2563eb;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#f4f5f7}
*{box-sizing:border-box}
body{margin:0}
[hidden]{display:none!important}
.top{display:flex;gap:12px;align-items:center;padding:10px 20px;background:#111827;color:#fff}
.top h1{font-size:16px;margin:0 auto 0 0}
.top h1 span{font-weight:400;color:#9ca3af}
main{padding:16px 20px;max-width:1400px;margin:0 auto}
#board{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:16px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px;min-width:0;overflow-x:auto}
.wide{grid-column:1/-1}
.gate{max-width:560px;margin:40px auto}
h2{font-size:15px;margin:0 0 8px}
h2 small{font-weight:400;color:var(--muted)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums}
.nowrap{white-space:nowrap}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
code.data{display:block;min-width:16em;word-break:break-all}
button{font:inherit;padding:3px 10px;border:1px solid #cbd5e1;border-radius:6px;background:#fff;color:var(--ink);cursor:pointer}
button:hover{border-color:var(--accent)}
button.danger{background:#b91c1c;border-color:#b91c1c;color:#fff}
button.link{border:0;background:none;color:var(--accent);padding:0;text-decoration:underline}
input,select{font:inherit;padding:3px 6px;border:1px solid #cbd5e1;border-radius:6px}
#trace-id{flex:1;min-width:220px}
.actions{display:flex;gap:6px;align-items:center;flex-wrap:wrap}
.status{margin:4px 0 8px;padding:6px 10px;border-radius:6px;background:#eef2ff}
.status:empty{display:none}
.status.error{background:#fef2f2;color:#991b1b}
.status.missing{background:#fffbeb;color:#92400e}
.status.ok{background:#f0fdf4;color:#166534}
.muted,.empty{color:var(--muted)}
.top .muted{color:#9ca3af;font-size:12px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:12px;margin-bottom:8px}
figure{margin:0}
figcaption{font-weight:600}
.chart{width:100%;height:auto;display:block}
.chart .grid{stroke:var(--line)}
.chart .axis{font-size:10px;fill:var(--muted)}
.axis.start{text-anchor:start}
.axis.end{text-anchor:end}
.axis.mid{text-anchor:middle}
.line{stroke:var(--c);stroke-width:2}
polyline.line{fill:none;stroke-linejoin:round}
circle.line{fill:var(--c)}
.legend{list-style:none;padding:0;margin:2px 0 0;display:flex;flex-wrap:wrap;gap:2px 14px;font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;background:var(--c)}
.k0{--c:#2563eb}.k1{--c:#16a34a}.k2{--c:#d97706}.k3{--c:#9333ea}.k4{--c:#dc2626}.k5{--c:#0891b2}.k6{--c:#94a3b8}
.badge{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;margin-right:4px}
.on{background:#dcfce7;color:#166534}
.off{background:#e5e7eb;color:#374151}
.warn{background:#fef3c7;color:#92400e}
.bad{color:#b91c1c}
.caption{margin:8px 0 4px;font-weight:600}
.timeline{list-style:none;margin:0;padding:0;border-left:2px solid var(--line)}
.timeline li{position:relative;padding:4px 0 4px 16px;display:flex;flex-wrap:wrap;gap:2px 10px;align-items:baseline}
.timeline li::before{content:"";position:absolute;left:-6px;top:9px;width:10px;height:10px;border-radius:50%;background:var(--c)}
.timeline time{font-variant-numeric:tabular-nums}
.delta,.role{color:var(--muted);font-size:12px}
.detail{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;color:#334155;word-break:break-all}
`;
