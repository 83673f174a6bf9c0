# The terrace side of ../terraform/precondition (the module "main" is the
# configuration "main"): a precondition that fails when planning, its
# references a number, a sensitive string and an object.
project "streams" {}
environment "dev" {}
configuration "main" {
  architecture = "./main"
}
