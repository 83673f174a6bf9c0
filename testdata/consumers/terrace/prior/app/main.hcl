variable "password" {
  type      = string
  sensitive = true
}
variable "release" {
  type = string
}
resource "terrace_data" "keep" {
  input = "same"
}
resource "terrace_data" "db" {
  input = {
    user     = "admin"
    password = var.password
  }
}
resource "terrace_data" "build" {
  input            = "v1"
  triggers_replace = var.release
}
resource "terrace_data" "old" {
  input = "bye"
}
output "dsn" {
  value     = "postgres://admin:${var.password}@db"
  sensitive = true
}
output "build_id" {
  value = terrace_data.build.id
}
output "label" {
  value = "app"
}
