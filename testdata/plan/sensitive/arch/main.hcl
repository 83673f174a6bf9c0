variable "password" {
  type      = string
  default   = "hunter2"
  sensitive = true
}
resource "terrace_data" "db" {
  input = {
    user     = "admin"
    password = var.password
  }
}
resource "file" "dsn" {
  path    = "out/dsn"
  content = "postgres://admin:${var.password}@db"
}
output "dsn" {
  value     = file.dsn.content
  sensitive = true
}
