locals {
  zones = ["a", "b"]
}
resource "terrace_data" "net" {
  input = {
    cidr  = "10.0.0.0/16"
    zones = local.zones
    tags  = { team = "web", "cost center" = 42 }
  }
}
resource "terrace_data" "node" {
  count = 2
  input = "node-${count.index}"
}
resource "file" "zone" {
  for_each = toset(local.zones)
  path     = "out/${each.key}.txt"
  content  = <<-EOT
    zone ${each.key}
    network ${terrace_data.net.input.cidr}
  EOT
}
resource "file" "ids" {
  path    = "out/ids.json"
  content = jsonencode(terrace_data.node[*].id)
}
output "net_id" {
  value = terrace_data.net.id
}
