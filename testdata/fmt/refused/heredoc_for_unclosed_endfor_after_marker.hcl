locals {
  h = <<-EOT
    %{ for v in var.l }"
    EOT
  i = 1
  j = <<EOT
%{ endfor }
EOT
}
