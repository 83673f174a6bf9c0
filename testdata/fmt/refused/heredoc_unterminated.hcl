locals {
  a = <<-EOT
    x
}
