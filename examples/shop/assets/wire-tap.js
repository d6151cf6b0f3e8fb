// Loaded before the tracker (a classic script, not a module): watches the requests the page
// makes to POST /track (fetch and sendBeacon) and keeps what they carried, so the live panel
// shows the events exactly as the tracker sent them. It changes nothing in those requests.
(function () {
  var KEY = 'shop.sent';
  var KEEP = 100;
  var sent = [];
  try {
    sent = JSON.parse(sessionStorage.getItem(KEY) || '[]');
  } catch (e) {
    sent = [];
  }

  function isTrack(url) {
    try {
      return new URL(String(url), location.href).pathname.replace(/\/$/, '') === '/track';
    } catch (e) {
      return false;
    }
  }

  function record(body, via, status) {
    var payload;
    try {
      payload = JSON.parse(body);
    } catch (e) {
      return;
    }
    var events = (payload && payload.events) || [];
    var at = new Date().toISOString();
    for (var i = 0; i < events.length; i++) {
      var event = events[i];
      sent.push({ id: event.id, type: event.type, time: event.time, properties: event.properties || {}, profileId: payload.profile && payload.profile.id, via: via, status: status, at: at });
    }
    sent = sent.slice(-KEEP);
    try {
      sessionStorage.setItem(KEY, JSON.stringify(sent));
    } catch (e) {
      /* the panel only loses its history */
    }
    window.dispatchEvent(new CustomEvent('shop:sent'));
  }

  var originalFetch = window.fetch;
  window.fetch = function (input, init) {
    var request = originalFetch.apply(this, arguments);
    var url = typeof input === 'string' || input instanceof URL ? input : input && input.url;
    if (init && String(init.method).toUpperCase() === 'POST' && typeof init.body === 'string' && isTrack(url)) {
      var body = init.body;
      request.then(
        function (response) { record(body, 'fetch', response.status); },
        function () { record(body, 'fetch', 0); },
      );
    }
    return request;
  };

  if (navigator.sendBeacon) {
    var originalBeacon = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = function (url, data) {
      var queued = originalBeacon(url, data);
      if (queued && isTrack(url)) {
        if (typeof data === 'string') record(data, 'beacon', 'sent');
        else if (data && typeof data.text === 'function') data.text().then(function (text) { record(text, 'beacon', 'sent'); });
      }
      return queued;
    };
  }

  /** Oldest first: { id, type, time, properties, profileId, via, status, at }. */
  window.shopSent = function () {
    return sent.slice();
  };
})();
