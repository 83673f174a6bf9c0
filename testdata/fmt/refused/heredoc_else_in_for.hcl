a = <<EOT
%{ for v in x }y%{ else }z%{ endfor }
EOT
