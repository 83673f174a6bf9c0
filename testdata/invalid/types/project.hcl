project "t" {}
environment "dev" {
  inputs = { size = "huge" }
}
configuration "main" { # ERROR: needs a value for variable "name"
  architecture = "./arch"
  inputs = {
    ports = 5 # ERROR: a list is required
  }
}
