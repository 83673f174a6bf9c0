variable "release" {
  type = string
}
resource "terraform_data" "ok" {
  input = terraform_data.missing.id
}
output "label" {
  value = "main-${var.release}"
}
