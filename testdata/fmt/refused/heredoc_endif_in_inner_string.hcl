a = <<EOT
%{ if x }${ "%{ endif }" }
EOT
