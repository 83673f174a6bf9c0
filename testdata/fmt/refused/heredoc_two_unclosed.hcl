a = <<EOT
%{ if x }%{ for v in y }
EOT
