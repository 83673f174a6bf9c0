project "t" {}
environment "dev" {
  inputs = { size = "huge" } # ERROR: invalid value for variable "size" of configuration "main" in environment "dev"
}
configuration "main" { # ERROR: needs a value for variable "name"
  architecture = "./arch"
  inputs = {
    ports = 5 # ERROR: invalid value for variable "ports"
  }
}
