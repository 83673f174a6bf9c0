# The terrace side of the paired fixture: the same change set as
# ../terraform/prior (the module "app" is the configuration "app").
project "consumers" {}
variable "password" {
  type      = string
  default   = "hunter2"
  sensitive = true
}
variable "release" {
  type    = string
  default = "1"
}
environment "dev" {}
configuration "app" {
  architecture = "./app"
  inputs = {
    password = var.password
    release  = var.release
  }
}
