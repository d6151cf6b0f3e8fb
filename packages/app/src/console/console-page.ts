/**
 * /console: the document holds no data, only the places the script fills. Script and style
 * come from /console/app.js and /console/app.css, so the Content-Security-Policy allows no
 * inline code at all.
 */
export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Inflow ops console</title>
<link rel="stylesheet" href="/console/app.css">
<script src="/console/app.js" defer></script>
</head>
<body>
<header class="top">
<h1>Inflow <span>ops console</span></h1>
<div id="controls" class="actions" hidden><span id="updated" class="muted"></span><button id="refresh" type="button">Refresh</button><button id="forget" type="button">Forget token</button></div>
</header>
<main>
<section id="gate" class="card gate">
<h2>Private API token</h2>
<p>The console reads the private API with its bearer token (<code>.inflow-data/api-token</code>, or <code>INFLOW_API_TOKEN</code>). It is kept in this tab only.</p>
<form id="login" class="actions"><label for="token">Token</label><input id="token" type="password" autocomplete="off" required><button type="submit">Open</button></form>
<p id="gate-message" class="status error" role="alert"></p>
</section>
<div id="board" hidden>
<section class="card wide" id="stats"><h2>Throughput and latency <small>up to the last 15 minutes</small></h2><p id="stats-status" class="status" role="status"></p><div id="stats-body"></div></section>
<section class="card" id="backlog"><h2>Backlog per topic</h2><p id="backlog-status" class="status" role="status"></p><div id="backlog-body"></div></section>
<section class="card" id="sources"><h2>Sources</h2><p id="sources-status" class="status" role="status"></p><div id="sources-body"></div></section>
<section class="card wide" id="dead-letters"><h2>Dead letters</h2><p id="dead-letters-status" class="status" role="status"></p><div id="dead-letters-body"></div></section>
<section class="card wide" id="trace"><h2>Trace</h2>
<form id="trace-form" class="actions"><select id="trace-kind" aria-label="kind of id"><option value="any">any id</option><option value="event">event id</option><option value="request">request id</option><option value="profile">profile id</option></select><input id="trace-id" type="search" placeholder="an event, request or profile id" aria-label="id" required><button type="submit">Search</button></form>
<p id="trace-status" class="status" role="status"></p><div id="trace-body"></div></section>
<section class="card wide" id="destinations"><h2>Destinations</h2><p id="destinations-status" class="status" role="status"></p><div id="destinations-body"></div></section>
<section class="card wide" id="rules"><h2>Rules</h2><p id="rules-status" class="status" role="status"></p><div id="rules-body"></div></section>
</div>
</main>
</body>
</html>
`;
