# The terrace side of ../terraform/invalid (the module "main" is the
# configuration "main").
project "streams" {}
variable "release" {
  type    = string
  default = "1"
}
environment "dev" {}
configuration "main" {
  architecture = "./main"
  inputs = {
    release = var.release
  }
}
