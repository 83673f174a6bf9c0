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
    user     = "root"
    password = var.password
  }
}
resource "terrace_data" "build" {
  input            = "v1"
  triggers_replace = var.release
}
resource "terrace_data" "new" {
  input      = terrace_data.build.output
  depends_on = [terrace_data.keep]
}
output "dsn" {
  value     = "postgres://root:${var.password}@db"
  sensitive = true
}
output "build_id" {
  value = terrace_data.build.id
}
output "label" {
  value = "app"
}
