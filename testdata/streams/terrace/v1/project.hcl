# The terrace side of ../terraform/v1 (the module "main" is the
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
