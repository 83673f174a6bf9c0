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
    user     = "root"
    password = var.password
  }
}
resource "terraform_data" "build" {
  input            = "v1"
  triggers_replace = var.release
}
resource "terraform_data" "new" {
  input      = terraform_data.build.output
  depends_on = [terraform_data.keep]
}
output "dsn" {
  value     = "postgres://root:${var.password}@db"
  sensitive = true
}
output "build_id" {
  value = terraform_data.build.id
}
output "label" {
  value = "app"
}
