variable "password" {
  type      = string
  sensitive = true
}
variable "release" {
  type = string
}
resource "terraform_data" "keep" {
  input = "same"
}
resource "terraform_data" "db" {
  input = {
    user     = "admin"
    password = var.password
  }
}
resource "terraform_data" "build" {
  input            = "v1"
  triggers_replace = var.release
}
resource "terraform_data" "old" {
  input = "bye"
}
output "dsn" {
  value     = "postgres://admin:${var.password}@db"
  sensitive = true
}
output "build_id" {
  value = terraform_data.build.id
}
output "label" {
  value = "app"
}
