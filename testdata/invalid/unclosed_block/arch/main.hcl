variable "size" {
  type = number
}
resource "terrace_data" "a" { # ERROR: the block opened on line 4 is never closed
  input = var.size

locals {
  x = 1
}
