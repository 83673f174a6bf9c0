variable "subnet" {
  type = string
}
variable "label" {
  type = string
}
resource "terrace_data" "server" {
  input = { subnet = var.subnet, label = var.label }
}
