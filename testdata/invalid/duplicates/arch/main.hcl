variable "a" {
  default = 1
}
variable "a" {} # ERROR: variable "a" is declared twice
resource "terrace_data" "x" {
  input = var.a
}
resource "terrace_data" "x" {} # ERROR: resource "terrace_data.x" is declared twice
output "o" {
  value = 1
}
output "o" { # ERROR: output "o" is declared twice
  value = 2
}
locals {
  l = 1
}
locals {
  l = 2 # ERROR: local value "l" is declared twice
}
