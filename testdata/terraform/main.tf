variable "password" {
  type      = string
  default   = "hunter2"
  sensitive = true
}
variable "trigger" {
  type    = string
  default = "1"
}
resource "terraform_data" "build" {
  input            = "v1"
  triggers_replace = var.trigger
}
resource "terraform_data" "db" {
  input = {
    user     = "admin"
    password = var.password
  }
}
resource "terraform_data" "gone" {
  count = var.trigger == "1" ? 1 : 0
  input = "x"
}
output "dsn" {
  value     = "postgres://admin:${var.password}@db"
  sensitive = true
}
output "id" {
  value = terraform_data.build.id
}
