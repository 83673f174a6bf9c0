a = <<EOT
${x}y