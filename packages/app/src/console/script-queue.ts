/**
 * The console script's queue panels (browser JavaScript, served as text): the backlog per
 * topic (GET /backlog: `total`, `backlog` per partition and subscription, `deadLetters`) and
 * the dead letters, replayed one by one or all at once after an inline confirmation.
 */
export const SCRIPT_QUEUE = String.raw`
async function loadBacklog() {
  const topics = (await api('/backlog')).topics || [];
  show('backlog', table([
    ['topic', (topic) => h('code', { text: topic.topic })],
    ['backlog', (topic) => fmtCount(isNumber(topic.backlog) ? topic.backlog : topic.total), 'num'],
    ['dead letters', (topic) => fmtCount(topic.deadLetters), 'num'],
    ['subscriptions', (topic) => h('span', { class: 'muted', text: subscriptionsOf(topic) })],
  ], topics, 'No topics.'));
  return '';
}

/** Each subscription once, with how many partitions the topic has when more than one. */
function subscriptionsOf(topic) {
  if (!Array.isArray(topic.backlog)) return '';
  const names = [...new Set(topic.backlog.map((part) => part.subscription))].join(', ');
  return topic.backlog.length > 1 ? names + ' (' + topic.backlog.length + ' partitions)' : names;
}

/** True while a replay waits for its confirmation: the list is not redrawn under it. */
let confirming = false;

async function loadDeadLetters() {
  const letters = (await api('/dead-letters?limit=200')).deadLetters || [];
  const all = h('div', { class: 'actions', 'data-replay': 'all' });
  offerReplay(all, 'Replay all ' + letters.length, 'Send all ' + letters.length + ' dead letters back to their topics?', {});
  show('dead-letters', letters.length > 0 ? all : null, table([
    ['failed', (letter) => fmtDateTime(letter.failedAt), 'nowrap'],
    ['topic', (letter) => h('code', { text: letter.topic })],
    ['reason', (letter) => letter.reason],
    ['tries', (letter) => fmtCount(letter.redeliveryCount), 'num'],
    ['data', (letter) => h('code', { class: 'data', title: short(letter.data || '', 2000), text: short(letter.data || '', 90) })],
    ['', (letter) => {
      const cell = h('div', { class: 'actions', 'data-replay': letter.id });
      offerReplay(cell, 'Replay', 'Replay this letter?', { ids: [letter.id] });
      return cell;
    }],
  ], letters, 'No dead letters.'));
  return '';
}

function offerReplay(box, label, question, selection) {
  const cancel = () => {
    confirming = false;
    offerReplay(box, label, question, selection);
  };
  const ask = () => {
    confirming = true;
    box.replaceChildren(
      h('span', { text: question }),
      h('button', { type: 'button', class: 'danger', text: 'Confirm', onclick: () => void replay(selection) }),
      h('button', { type: 'button', text: 'Cancel', onclick: cancel }));
  };
  box.replaceChildren(h('button', { type: 'button', text: label, onclick: ask }));
}

async function replay(selection) {
  confirming = false;
  let result;
  try {
    result = await api('/dead-letters/replay', selection);
  } catch (error) {
    if (error.status !== 401) note('dead-letters', 'Replay failed: ' + error.message, 'error');
    return;
  }
  await load('dead-letters', loadDeadLetters, 'GET /dead-letters');
  const gone = result.notFound || [];
  note('dead-letters', 'Replayed ' + result.replayed + (gone.length ? '; no longer dead letters: ' + gone.join(', ') : '') + '.', 'ok');
}
`;
