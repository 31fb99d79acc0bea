// Plays a recording's segments one after another, and jumps to a segment from the timeline or
// the list. Without JavaScript every segment is still a link that plays on its own.
document.querySelectorAll('video[data-player]').forEach(function (video) {
  var code = video.getAttribute('data-player');
  var urls = Array.prototype.map.call(
    document.querySelectorAll('ol[data-list="' + code + '"] a'), function (a) { return a.getAttribute('href'); });
  var at = 0;
  function play(i) { if (i >= 0 && i < urls.length) { at = i; video.src = urls[i]; video.play().catch(function () {}); } }
  video.addEventListener('ended', function () { play(at + 1); });
  document.querySelectorAll('a[data-seg="' + code + '"]').forEach(function (a) {
    a.addEventListener('click', function (e) { e.preventDefault(); play(urls.indexOf(a.getAttribute('href'))); });
  });
});
