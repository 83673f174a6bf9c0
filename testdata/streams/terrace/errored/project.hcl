# The terrace side of ../terraform/errored (the module "main" is the
# configuration "main"): an object whose creation fails (a command that
# exits 3, where Terraform's terraform_data runs a failing local-exec
# provisioner).
project "streams" {}
environment "dev" {}
configuration "main" {
  architecture = "./main"
}
