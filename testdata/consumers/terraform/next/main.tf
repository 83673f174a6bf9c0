variable "password" {
  type      = string
  default   = "hunter2"
  sensitive = true
}
variable "release" {
  type    = string
  default = "2"
}
module "app" {
  source   = "./app"
  password = var.password
  release  = var.release
}
# terrace's outputs belong to configurations (`app.dsn`); Terraform's
# root outputs stand for them here.
output "app_dsn" {
  value     = module.app.dsn
  sensitive = true
}
output "app_build_id" {
  value = module.app.build_id
}
output "app_label" {
  value = module.app.label
}
