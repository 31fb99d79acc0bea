// Live rule feedback while scheduling (progressive enhancement): whenever the room, the time or
// the commission changes, the form is checked by the server exactly as the "Check against the
// rules" button does (a dry run: nothing is written) and the verdict shown is replaced. Without
// JavaScript the button does the same.
(function () {
  var form = document.querySelector('form[data-live-check]');
  if (!form || !window.fetch || !window.DOMParser) return;
  var timer = null, seq = 0;
  function check() {
    var data = new URLSearchParams(new FormData(form));
    data.set('action', 'check');
    var mine = ++seq;
    // (form.action would be the button named "action", not the address)
    fetch(form.getAttribute('action'), { method: 'POST', body: data, credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        if (mine !== seq) return; // a newer check is on its way
        var page = new DOMParser().parseFromString(html, 'text/html');
        var fresh = page.querySelector('section.verdict') || page.querySelector('div.errors');
        var live = document.getElementById('live-verdict');
        live.innerHTML = '';
        if (fresh) live.appendChild(document.importNode(fresh, true));
        var old = document.querySelectorAll('main > section.verdict, main > div.errors');
        for (var i = 0; i < old.length; i++) old[i].remove();
      })
      .catch(function () { /* the button still works */ });
  }
  function later() {
    var start = form.elements['start'].value, end = form.elements['end'].value;
    if (!start || !end) return;
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }
  form.addEventListener('change', later);
  form.addEventListener('input', later);
})();
