variable "release" {
  type = string
}
resource "terraform_data" "many" {
  count = 2
  input = "many-${count.index}"
}
resource "terraform_data" "k" {
  for_each = toset(["a", "b"])
  input    = "k-${each.key}"
}
resource "terraform_data" "cbd" {
  input            = "cbd"
  triggers_replace = var.release
  lifecycle {
    create_before_destroy = true
  }
}
resource "terraform_data" "after" {
  input = terraform_data.cbd.id
}
output "label" {
  value = "main-${var.release}"
}
