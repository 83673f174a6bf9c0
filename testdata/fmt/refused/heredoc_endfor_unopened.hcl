a = <<EOT
y%{ endfor }
EOT
