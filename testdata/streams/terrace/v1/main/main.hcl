variable "release" {
  type = string
}
resource "terrace_data" "many" {
  count = 2
  input = "many-${count.index}"
}
resource "terrace_data" "k" {
  for_each = toset(["a", "b"])
  input    = "k-${each.key}"
}
resource "terrace_data" "cbd" {
  input            = "cbd"
  triggers_replace = var.release
  lifecycle {
    create_before_destroy = true
  }
}
resource "terrace_data" "after" {
  input = terrace_data.cbd.id
}
output "label" {
  value = "main-${var.release}"
}
