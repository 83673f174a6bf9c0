project "t" {}
environment "dev" {}
environment "dev" {} # ERROR: environment "dev" is declared twice
configuration "main" {
  architecture = "./arch"
}
