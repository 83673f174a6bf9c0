a = <<EOT
%{ for v in x }%{ if v }y%{ endfor }%{ endif }
EOT
