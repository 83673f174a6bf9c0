variable "release" {
  type    = string
  default = "1"
}
module "main" {
  source  = "./main"
  release = var.release
}
output "main_label" {
  value = module.main.label
}
