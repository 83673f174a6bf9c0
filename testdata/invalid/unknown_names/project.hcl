project "t" {
  descripton = "typo" # ERROR: unknown attribute "descripton"
}
environment "dev" {}
configuraton "x" {} # ERROR: unexpected block "configuraton"
configuration "main" {
  architecture = "./arch"
  inputs = {
    nmae = "x" # ERROR: has no variable "nmae"
  }
}
