variable "t" {
  type = "string"
}
locals {
  x = "${var.t}"
}
