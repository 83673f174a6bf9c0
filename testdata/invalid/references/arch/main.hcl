variable "name" {
  type    = string
  default = "a"
}
locals {
  greeting = "hello ${var.nmae}" # ERROR: there is no variable "nmae"
}
resource "terrace_data" "a" {
  input = local.missing # ERROR: there is no local value "missing"
}
resource "terrace_data" "b" {
  input = terrace_data.c.id # ERROR: there is no resource terrace_data.c
}
resource "terrace_data" "d" {
  input = count.index # ERROR: count.index is only available in a resource with count
}
resource "terrace_data" "e" {
  input = each.key # ERROR: each is only available in a resource with for_each
}
output "o" {
  value = environment.name # ERROR: only available in the project file
}
