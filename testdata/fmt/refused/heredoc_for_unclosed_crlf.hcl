a = <<EOT
%{ for v in x }y
EOT
