// The connection state the player sees: a badge in the panel (#conn,
// #state) and, while not connected, a banner over the map (#banner).
//
// States: connecting, connected, reconnecting (the link dropped; the page
// retries with backoff), redirected (the edge sent the player to another
// edge), failed (the page will not retry: the reason is shown).

const $ = (id) => document.getElementById(id);

// setConnection shows state, with an optional detail for the banner.
export function setConnection(state, detail = '') {
  $('state').textContent = state;
  $('conn').className = `conn ${state}`;
  const banner = $('banner');
  banner.hidden = state === 'connected';
  banner.className = state === 'failed' ? 'bad' : '';
  const words = { connecting: 'Connecting…', reconnecting: 'Connection lost — reconnecting', redirected: 'Moving to another edge', failed: 'Disconnected' };
  banner.textContent = (words[state] ?? state) + (detail ? ` · ${detail}` : '');
}
