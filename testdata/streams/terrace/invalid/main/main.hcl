variable "release" {
  type = string
}
resource "terrace_data" "ok" {
  input = terrace_data.missing.id
}
output "label" {
  value = "main-${var.release}"
}
