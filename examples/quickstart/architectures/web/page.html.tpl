<!doctype html>
<title>${title}</title>
<h1>${title}</h1>
<p>Served by:</p>
<ul>
%{ for s in servers ~}
  <li>${s}</li>
%{ endfor ~}
</ul>
