locals {
  a = <<EOT
%{ if x }y
EOT
  b = 1
}
